#include "draggan/train/Ema.h"

#include <algorithm>
#include <cmath>

namespace draggan {

double ema_beta(int64_t batch, double ema_kimg, double rampup, int64_t images_seen) {
  double ema_nimg = ema_kimg * 1000.0;
  if (rampup > 0) ema_nimg = std::min(ema_nimg, static_cast<double>(images_seen) * rampup);
  return std::pow(0.5, static_cast<double>(batch) / std::max(ema_nimg, 1e-8));
}

void update_ema(torch::nn::Module& ema, const torch::nn::Module& current, double beta) {
  torch::NoGradGuard no_grad;
  auto src = current.named_parameters(true);
  for (auto& p : ema.named_parameters(true)) p.value().copy_(src[p.key()].detach().lerp(p.value(), beta));
  auto src_buffers = current.named_buffers(true);
  for (auto& b : ema.named_buffers(true)) b.value().copy_(src_buffers[b.key()]);
}

}  // namespace draggan
