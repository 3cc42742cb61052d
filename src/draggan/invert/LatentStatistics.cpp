#include "draggan/invert/LatentStatistics.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"

namespace draggan {

LatentStatistics latent_statistics(GeneratorModel& generator, int samples) {
  const LatentLayout cfg = generator.latent_layout();
  if (cfg.c_dim > 0)
    throw InputError("projection needs an unconditional model; this one has " + std::to_string(cfg.c_dim) +
                     " classes");
  if (samples < 1) throw InputError("latent statistics need at least one sample");
  torch::NoGradGuard no_grad;
  const torch::Device device = generator.device();

  NumpyRandomState rng(123);
  const torch::Tensor z = rng.randn(int64_t{samples} * cfg.z_dim).view({samples, cfg.z_dim});
  // Mapped in chunks so a 512-dim model does not hold 10000 x num_ws x 512 floats at once.
  constexpr int64_t kChunk = 1000;
  std::vector<torch::Tensor> ws;
  for (int64_t start = 0; start < samples; start += kChunk) {
    const torch::Tensor chunk = z.slice(0, start, std::min<int64_t>(samples, start + kChunk));
    ws.push_back(generator.map(chunk.to(device, torch::kFloat32)).select(1, 0).to(torch::kFloat64));
  }
  const torch::Tensor w = torch::cat(ws);  // [N, w_dim]
  const torch::Tensor mean = w.mean(0, /*keepdim=*/true);
  LatentStatistics stats;
  stats.w_avg = mean.to(torch::kFloat32).view({1, 1, cfg.w_dim});
  stats.w_std = std::sqrt((w - mean).square().sum().item<double>() / samples);
  return stats;
}

}  // namespace draggan
