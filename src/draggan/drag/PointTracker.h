// Point tracking by nearest-neighbour feature matching (DragGAN paper, section 3.3): after each forward, a
// handle moves to the pixel of a square window around it whose feature is closest (L2 over channels) to the
// handle's reference feature.
#pragma once
#include <torch/torch.h>

namespace draggan {

struct TrackResult {
  int row = 0;
  int col = 0;
  float distance = 0.0f;  // L2 distance of the best match
};

// features: [1, C, H, W] (the supervised block's features resized to the image); reference: [C].
// Window rows max(row - radius, 0) .. min(row + radius, H - 1), columns likewise (the official slicing
// [max(y-r,0):min(y+r+1,h)]); the first minimum in row-major order wins, as torch.min does.
// Runs without autograd. Throws InputError when (row, col) is outside the map or radius < 0.
TrackResult track_point(const torch::Tensor& features, const torch::Tensor& reference, int row, int col, int radius);

}  // namespace draggan
