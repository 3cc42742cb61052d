#include "draggan/nn/FusedEpilogue.h"

#include <ATen/Parallel.h>

// No floating-point exception is ever unmasked here, so comparisons and multiplies may run speculatively:
// this lets GCC turn the selects of the loop below into vector blends. The results do not change.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif

namespace draggan {
namespace {

bool one_pass_applies(const torch::Tensor& y, const torch::Tensor& noise) {
  if (torch::GradMode::is_enabled() && y.requires_grad()) return false;
  if (!y.device().is_cpu() || y.scalar_type() != torch::kFloat32 || y.dim() != 4 || y.size(0) != 1)
    return false;
  if (!y.is_contiguous(at::MemoryFormat::ChannelsLast)) return false;
  if (!noise.defined()) return true;
  return noise.device().is_cpu() && noise.numel() == y.size(2) * y.size(3) && noise.size(-1) == y.size(3) &&
         noise.size(-2) == y.size(2);
}

// One pixel's channels. Every scalar is a by-value parameter: with captured references the compiler has to
// assume the stores into `row` may change them and does not vectorise the loop.
template <bool kNoise, bool kClamp>
void epilogue_row(float* row, int64_t channels, float noise, float slope, float lo, float hi) {
  for (int64_t c = 0; c < channels; ++c) {
    float v = kNoise ? row[c] + noise : row[c];
    const float negative = v * slope;  // computed unconditionally, so that the selects below vectorise
    v = v > 0.0f ? v : negative;
    // Comparisons are false for NaN, which passes through as ATen's clamp lets it.
    if (kClamp) {
      v = v < lo ? lo : v;
      v = v > hi ? hi : v;
    }
    row[c] = v;
  }
}

template <bool kNoise, bool kClamp>
void epilogue(float* data, const float* noise, int64_t pixels, int64_t channels, float slope, float lo,
              float hi) {
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(channels, 1));
  at::parallel_for(0, pixels, grain, [=](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      epilogue_row<kNoise, kClamp>(data + p * channels, channels, kNoise ? noise[p] : 0.0f, slope, lo, hi);
  });
}

}  // namespace

torch::Tensor add_noise_leaky_relu_clamp_(torch::Tensor& y, const torch::Tensor& noise, double slope,
                                          const std::optional<double>& clamp) {
  if (!one_pass_applies(y, noise)) {
    if (noise.defined()) y.add_(noise.to(y.dtype()));
    torch::leaky_relu_(y, slope);
    if (clamp) torch::hardtanh_(y, -*clamp, *clamp);
    return y;
  }
  const int64_t channels = y.size(1), pixels = y.size(2) * y.size(3);
  const torch::Tensor noise_values =
      noise.defined() ? noise.to(torch::kFloat32).contiguous() : torch::Tensor();
  const float* n = noise_values.defined() ? noise_values.data_ptr<float>() : nullptr;
  float* data = y.data_ptr<float>();
  // The scalars in float as ATen's CPU kernels take them, so every value rounds the same way.
  const float s = static_cast<float>(slope);
  const float hi = clamp ? static_cast<float>(*clamp) : 0.0f, lo = clamp ? static_cast<float>(-*clamp) : 0.0f;
  if (n != nullptr && clamp)
    epilogue<true, true>(data, n, pixels, channels, s, lo, hi);
  else if (n != nullptr)
    epilogue<true, false>(data, n, pixels, channels, s, lo, hi);
  else if (clamp)
    epilogue<false, true>(data, n, pixels, channels, s, lo, hi);
  else
    epilogue<false, false>(data, n, pixels, channels, s, lo, hi);
  return y;
}

}  // namespace draggan
