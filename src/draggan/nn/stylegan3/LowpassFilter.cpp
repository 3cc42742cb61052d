#include "draggan/nn/stylegan3/LowpassFilter.h"

#include <cmath>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan::stylegan3 {
namespace {

// numpy's pairwise summation (what np.sum does on a contiguous float64 array), so the normalisation rounds
// as the official design does.
double pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += a[i];
    return sum;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) sum += a[i];
    return sum;
  }
  size_t half = n / 2;
  half -= half % 8;
  return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

// Kaiser's empirical formulas (scipy.signal.kaiser_atten / kaiser_beta); width relative to Nyquist.
double kaiser_beta_for(int numtaps, double relative_width) {
  const double atten = 2.285 * (numtaps - 1) * M_PI * relative_width + 7.95;
  if (atten > 50) return 0.1102 * (atten - 8.7);
  if (atten > 21) return 0.5842 * std::pow(atten - 21, 0.4) + 0.07886 * (atten - 21);
  return 0.0;
}

// The symmetric Kaiser window of `numtaps` points.
std::vector<double> kaiser_window(int numtaps, double beta) {
  std::vector<double> w(numtaps, 1.0);
  if (numtaps == 1) return w;
  const double alpha = (numtaps - 1) / 2.0;
  const double denom = std::cyl_bessel_i(0.0, beta);
  for (int n = 0; n < numtaps; ++n) {
    const double r = (n - alpha) / alpha;
    w[n] = std::cyl_bessel_i(0.0, beta * std::sqrt(std::max(0.0, 1 - r * r))) / denom;
  }
  return w;
}

double sinc(double x) {
  const double y = M_PI * (x == 0 ? 1e-20 : x);
  return std::sin(y) / y;
}

}  // namespace

torch::Tensor design_lowpass_filter(int numtaps, double cutoff, double width, double fs, bool radial) {
  if (numtaps < 1 || numtaps > 4096) throw CheckpointError("low-pass filter: numtaps out of range");
  if (numtaps == 1) return {};
  const double nyquist = fs / 2;
  const std::vector<double> window = kaiser_window(numtaps, kaiser_beta_for(numtaps, width / nyquist));

  if (!radial) {
    // firwin: an ideal low-pass (sinc) at cutoff / Nyquist, windowed, scaled to unit gain at DC.
    const double relative_cutoff = cutoff / nyquist;
    const double alpha = 0.5 * (numtaps - 1);
    std::vector<double> h(numtaps);
    for (int n = 0; n < numtaps; ++n) h[n] = relative_cutoff * sinc(relative_cutoff * (n - alpha)) * window[n];
    const double sum = pairwise_sum(h.data(), h.size());
    std::vector<float> taps(numtaps);
    for (int n = 0; n < numtaps; ++n) taps[n] = static_cast<float>(h[n] / sum);
    return torch::tensor(taps, torch::kFloat32);
  }

  // Radially symmetric: jinc(2 cutoff r) on the tap grid, times the separable window, unit sum.
  std::vector<double> x(numtaps);
  for (int n = 0; n < numtaps; ++n) x[n] = (n - (numtaps - 1) / 2.0) / fs;
  std::vector<double> f(static_cast<size_t>(numtaps) * numtaps);
  for (int i = 0; i < numtaps; ++i) {
    for (int j = 0; j < numtaps; ++j) {
      const double r = std::hypot(x[j], x[i]);
      // At r = 0 (odd numtaps only) the limit of J1(2 pi c r) / (pi r) is the cutoff.
      const double v = r == 0 ? cutoff : std::cyl_bessel_j(1.0, 2 * cutoff * (M_PI * r)) / (M_PI * r);
      f[static_cast<size_t>(i) * numtaps + j] = v * (window[i] * window[j]);
    }
  }
  const double sum = pairwise_sum(f.data(), f.size());
  std::vector<float> taps(f.size());
  for (size_t k = 0; k < f.size(); ++k) taps[k] = static_cast<float>(f[k] / sum);
  return torch::tensor(taps, torch::kFloat32).reshape({numtaps, numtaps});
}

}  // namespace draggan::stylegan3
