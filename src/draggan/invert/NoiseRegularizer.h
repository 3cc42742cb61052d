// Keeps optimised noise maps noise-like: penalises their spatial autocorrelation (one pixel right, one pixel
// down) at every scale of a 2x average-pool pyramid down to 8x8, as the stylegan2 projector does. Without it
// the optimiser paints the photo's detail into the noise maps, which then no longer follow a drag.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/model/GeneratorModel.h"

namespace draggan {

// The generator's per-layer constant noise maps (buffers named "...noise_const"), [H, W] each.
std::vector<torch::Tensor> noise_buffers(GeneratorModel& generator);

// Sum over maps and pyramid levels of mean(n * roll(n, 1, x))^2 + mean(n * roll(n, 1, y))^2.
torch::Tensor noise_regularization(const std::vector<torch::Tensor>& noise_maps);

// Re-centres each map to zero mean and unit variance in place (after every optimiser step).
void normalize_noise_(const std::vector<torch::Tensor>& noise_maps);

}  // namespace draggan
