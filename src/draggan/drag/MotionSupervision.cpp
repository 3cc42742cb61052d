#include "draggan/drag/MotionSupervision.h"

#include <algorithm>

namespace draggan {

using torch::indexing::Slice;

MotionDisc motion_disc(int height, int width, int row, int col, int radius, bool exact_grid) {
  // Only a window around the handle can pass the test: the official grid value X[i] = i * h / (h - 1) lies in
  // [i, i + 1], so |X[i] - row| < radius needs row - radius - 1 < i < row + radius.
  const int top = std::max(row - radius - 2, 0), bottom = std::min(row + radius + 2, height - 1);
  const int left = std::max(col - radius - 2, 0), right = std::min(col + radius + 2, width - 1);
  if (top > bottom || left > right || radius <= 0) {
    auto empty = torch::empty({0}, torch::kLong);
    return {empty, empty};
  }
  torch::Tensor xs, ys;
  if (exact_grid) {
    xs = torch::arange(top, bottom + 1, torch::kFloat32);
    ys = torch::arange(left, right + 1, torch::kFloat32);
  } else {
    // Slicing the full linspace keeps its values bit-exact (torch fills it from both ends).
    xs = torch::linspace(0, height, height).slice(0, top, bottom + 1);
    ys = torch::linspace(0, width, width).slice(0, left, right + 1);
  }
  torch::Tensor dx = (xs - row).pow(2).unsqueeze(1);
  torch::Tensor dy = (ys - col).pow(2).unsqueeze(0);
  torch::Tensor inside = (dx + dy).pow(0.5) < radius;
  torch::Tensor idx = inside.nonzero();  // row-major, like torch.where
  return {idx.select(1, 0) + top, idx.select(1, 1) + left};
}

float handle_distance(int row, int col, double target_row, double target_col) {
  torch::Tensor d = torch::tensor({static_cast<float>(target_col - col), static_cast<float>(target_row - row)});
  return at::linalg_vector_norm(d, 2).item<float>();
}

torch::Tensor motion_loss_term(const torch::Tensor& features, int row, int col, double target_row,
                               double target_col, int radius, bool exact_grid) {
  return motion_loss_term(FeatureWindow::whole(features), row, col, target_row, target_col, radius, exact_grid);
}

torch::Tensor motion_loss_term(const FeatureWindow& window, int row, int col, double target_row, double target_col,
                               int radius, bool exact_grid) {
  const torch::Tensor& features = window.features;
  const int64_t h = features.size(2), w = features.size(3);
  // [dx, dy] in float32, as torch.Tensor([...]) makes it.
  torch::Tensor direction =
      torch::tensor({static_cast<float>(target_col - col), static_cast<float>(target_row - row)});
  torch::Tensor norm = at::linalg_vector_norm(direction, 2);
  if (!(norm.item<float>() > 1.0f)) return {};
  MotionDisc disc = motion_disc(static_cast<int>(window.canvas_height), static_cast<int>(window.canvas_width), row, col,
                                radius, exact_grid);
  if (disc.rows.numel() == 0) return {};
  if (!window.is_whole()) {
    const int64_t r0 = disc.rows.min().item<int64_t>() - 1, r1 = disc.rows.max().item<int64_t>() + 1;
    const int64_t c0 = disc.cols.min().item<int64_t>() - 1, c1 = disc.cols.max().item<int64_t>() + 1;
    const auto inside = [&](int64_t r, int64_t c) {
      return window.contains(std::clamp<int64_t>(r, 0, window.canvas_height - 1),
                             std::clamp<int64_t>(c, 0, window.canvas_width - 1));
    };
    TORCH_CHECK(inside(r0, c0) && inside(r1, c1), "motion_loss_term: the feature window misses the motion disc");
  }
  torch::Tensor rows = disc.rows - window.top, cols = disc.cols - window.left;
  direction = direction / (norm + 1e-7);
  torch::Tensor grid_h = (rows.to(torch::kFloat32) + direction[1]) / (h - 1) * 2 - 1;
  torch::Tensor grid_w = (cols.to(torch::kFloat32) + direction[0]) / (w - 1) * 2 - 1;
  torch::Tensor grid = torch::stack({grid_w, grid_h}, -1).unsqueeze(0).unsqueeze(0).to(features.device());
  // grid_sampler(input, grid, bilinear = 0, zeros = 0, align_corners)
  torch::Tensor shifted = torch::grid_sampler(features, grid, 0, 0, true).squeeze(2);  // [1, C, N]
  torch::Tensor here = features.index({Slice(), Slice(), rows.to(features.device()), cols.to(features.device())});
  return torch::l1_loss(here.detach(), shifted);
}

torch::Tensor mask_loss_term(const torch::Tensor& features, const torch::Tensor& features0, const torch::Tensor& mask) {
  return torch::l1_loss(features * mask, features0 * mask);
}

}  // namespace draggan
