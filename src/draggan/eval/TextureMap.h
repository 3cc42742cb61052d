// Where an image has texture: the points worth dragging (a handle on flat background has no feature to follow,
// for the engine's tracking or for an independent one).
#pragma once
#include <torch/torch.h>

namespace draggan {

// uint8 [H, W, C] (or [H, W]) -> float [H, W]: squared Sobel gradient of the gray image (channel mean, 0..255),
// averaged over each pixel's 3x3 neighbourhood. 0 on flat regions.
torch::Tensor texture_energy(const torch::Tensor& image);

}  // namespace draggan
