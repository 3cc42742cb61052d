// The part of an animation frame that changed since the previous one: animated PNG and GIF frames store only
// that rectangle (drawn over the previous frame), so a drag's animation costs what moved, not the whole image.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace draggan {

struct FrameRegion {
  int64_t top = 0, left = 0, height = 0, width = 0;  // height 0: nothing changed
};

// previous, current: uint8 [H, W, C] of the same shape.
FrameRegion changed_region(const torch::Tensor& previous, const torch::Tensor& current);

}  // namespace draggan
