// Handles, targets and arrows drawn over an image, for the frames of a drag animation (and anyone showing a
// drag without a UI). Colours as in the official GUI: handles red, targets blue, a white arrow between them.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/drag/DragSession.h"

namespace draggan {

// image: uint8 [H, W, 3]. Returns a new image; the point size scales with the image (about H / 64 px).
torch::Tensor draw_drag_overlay(const torch::Tensor& image, const std::vector<DragPair>& pairs);

}  // namespace draggan
