// The generator's exponential moving average (G_ema), the network that is sampled and shipped.
#pragma once
#include <torch/torch.h>

namespace draggan {

// Decay per iteration: the average has a half-life of ema_kimg thousand images, shortened to
// rampup * images_seen early on (rampup <= 0 disables that), as the official training loop does.
double ema_beta(int64_t batch, double ema_kimg, double rampup, int64_t images_seen);

// ema = lerp(current, ema, beta) for parameters; buffers (w_avg, constant noise, filters) are copied.
void update_ema(torch::nn::Module& ema, const torch::nn::Module& current, double beta);

}  // namespace draggan
