#include "draggan/drag/PointTracker.h"

#include <algorithm>
#include <string>

#include "draggan/core/Error.h"

namespace draggan {

TrackResult track_point(const torch::Tensor& features, const torch::Tensor& reference, int row, int col,
                        int radius) {
  if (features.dim() != 4 || features.size(0) != 1)
    throw InputError("track_point: features must be [1, C, H, W], got " + c10::str(features.sizes()));
  const int h = static_cast<int>(features.size(2)), w = static_cast<int>(features.size(3));
  if (row < 0 || row >= h || col < 0 || col >= w)
    throw InputError("track_point: point (row " + std::to_string(row) + ", col " + std::to_string(col) +
                     ") is outside the " + std::to_string(h) + "x" + std::to_string(w) + " feature map");
  if (radius < 0) throw InputError("track_point: negative radius");
  if (reference.numel() != features.size(1))
    throw InputError("track_point: reference has " + std::to_string(reference.numel()) + " values, features have " +
                     std::to_string(features.size(1)) + " channels");
  torch::NoGradGuard no_grad;
  const int top = std::max(row - radius, 0), bottom = std::min(row + radius + 1, h);
  const int left = std::max(col - radius, 0), right = std::min(col + radius + 1, w);
  torch::Tensor patch = features.detach().slice(2, top, bottom).slice(3, left, right);
  // Same op as the official torch.linalg.norm(patch - ref, dim=1), so ties and near-ties resolve identically.
  torch::Tensor dist = at::linalg_vector_norm(patch - reference.detach().reshape({1, -1, 1, 1}), 2, {1}, false);
  auto [best, index] = dist.reshape({1, -1}).min(-1);
  const int64_t i = index.item<int64_t>();
  const int width = right - left;
  return {static_cast<int>(i / width) + top, static_cast<int>(i % width) + left, best.item<float>()};
}

}  // namespace draggan
