#include "draggan/core/NumpyRandom.h"

#include <cmath>

#include "draggan/core/Error.h"

namespace draggan {
namespace {
constexpr int kN = 624;
constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfu;
constexpr uint32_t kUpper = 0x80000000u;
constexpr uint32_t kLower = 0x7fffffffu;
}  // namespace

NumpyRandomState::NumpyRandomState(uint32_t seed) {
  state_[0] = seed;
  for (int i = 1; i < kN; ++i)
    state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  pos_ = kN;
}

void NumpyRandomState::twist() {
  for (int i = 0; i < kN; ++i) {
    const uint32_t y = (state_[i] & kUpper) | (state_[(i + 1) % kN] & kLower);
    state_[i] = state_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0u);
  }
  pos_ = 0;
}

uint32_t NumpyRandomState::next_uint32() {
  if (pos_ >= kN) twist();
  uint32_t y = state_[pos_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double NumpyRandomState::random_sample() {
  const uint32_t a = next_uint32() >> 5;  // 27 bits
  const uint32_t b = next_uint32() >> 6;  // 26 bits
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double NumpyRandomState::standard_normal() {
  if (has_gauss_) {
    has_gauss_ = false;
    return gauss_;
  }
  // Both squares are rounded before the sum (volatile keeps the compiler from fusing them into an FMA, which
  // NumPy's baseline build does not do) so r2, and every value derived from it, matches bit for bit.
  // The other expressions multiply by 2 or 2^26 (exact), so fusing them cannot change a bit.
  double x1, x2, r2;
  do {
    x1 = 2.0 * random_sample() - 1.0;
    x2 = 2.0 * random_sample() - 1.0;
    volatile double s1 = x1 * x1;
    volatile double s2 = x2 * x2;
    r2 = s1 + s2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

torch::Tensor NumpyRandomState::randn(int64_t n) {
  torch::Tensor out = torch::empty({n}, torch::kFloat64);
  double* p = out.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = standard_normal();
  return out;
}

torch::Tensor z_from_seed(uint32_t seed, int z_dim) {
  if (z_dim <= 0 || z_dim > (1 << 20)) throw InputError("z_dim " + std::to_string(z_dim) + " is out of range");
  NumpyRandomState rng(seed);
  return rng.randn(z_dim).to(torch::kFloat32).reshape({1, z_dim});
}

}  // namespace draggan
