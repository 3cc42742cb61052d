// Masks for a drag. The session takes the official renderer's convention (1 = keep fixed, 0 = may move);
// users paint the opposite (the region allowed to move), so the CLI and editor convert with
// mask_from_movable_image.
#pragma once
#include <torch/torch.h>

namespace draggan {

// float [1, 1, h, w] in the official convention from [h, w], [1, h, w] or [1, 1, h, w] of any real/bool
// dtype with values in [0, 1]. InputError on a wrong size, NaN, or values outside [0, 1].
torch::Tensor prepare_drag_mask(const torch::Tensor& mask, int height, int width);

// The official loop adds the mask term only when the mask holds both a 0 and a 1.
bool mask_term_active(const torch::Tensor& mask);

// A painted image, uint8 [H, W] or [H, W, C]: bright (>= 128 in the first channel) = region allowed to move,
// dark = keep fixed. Returned in the official convention (1 = fixed) as float [1, 1, height, width]; an image
// of another size is resized to height x width with nearest-neighbour sampling.
torch::Tensor mask_from_movable_image(const torch::Tensor& image, int height, int width);

}  // namespace draggan
