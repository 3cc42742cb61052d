#include "draggan/eval/PatchTracker.h"

#include <algorithm>
#include <cmath>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

namespace F = torch::nn::functional;

// uint8 [H, W, C] / [H, W] -> float64 [1, C, H, W].
torch::Tensor planes(const torch::Tensor& image) {
  torch::Tensor x = image.to(torch::kCPU, torch::kFloat64);
  if (x.dim() == 2) x = x.unsqueeze(-1);
  return x.permute({2, 0, 1}).unsqueeze(0).contiguous();
}

}  // namespace

PatchTrackOptions patch_track_options(int height, int width, double longest_move) {
  PatchTrackOptions o;
  o.patch_radius = std::clamp(static_cast<int>(std::lround(0.08 * std::min(height, width))), 3, 24);
  o.search_radius = static_cast<int>(std::ceil(1.5 * std::max(longest_move, 1.0))) + o.patch_radius;
  return o;
}

PatchTrack track_patch(const torch::Tensor& before, const torch::Tensor& after, DragPoint start,
                       const PatchTrackOptions& options) {
  if (!before.defined() || !after.defined() || before.sizes() != after.sizes() ||
      before.scalar_type() != torch::kUInt8 || after.scalar_type() != torch::kUInt8 ||
      (before.dim() != 2 && before.dim() != 3))
    throw InputError("track_patch: expected two uint8 [H, W, C] images of the same shape");
  if (options.patch_radius < 1 || options.search_radius < 0)
    throw InputError("track_patch: patch radius must be >= 1 and search radius >= 0");
  const int64_t h = before.size(0), w = before.size(1);
  const int64_t x0 = std::lround(start.x), y0 = std::lround(start.y);
  if (x0 < 0 || x0 >= w || y0 < 0 || y0 >= h)
    throw InputError("track_patch: start point (" + std::to_string(start.x) + ", " + std::to_string(start.y) +
                     ") is outside the image");
  const int64_t p = options.patch_radius, s = options.search_radius, k = 2 * p + 1;

  // Both images padded by the patch radius (and the search radius for `after`), borders replicated.
  const torch::Tensor b = F::pad(planes(before), F::PadFuncOptions({p, p, p, p}).mode(torch::kReplicate));
  const torch::Tensor a = F::pad(planes(after), F::PadFuncOptions({p + s, p + s, p + s, p + s}).mode(torch::kReplicate));
  torch::Tensor patch = b.slice(2, y0, y0 + k).slice(3, x0, x0 + k);  // centred on (x0, y0)
  patch = patch - patch.mean({2, 3}, true);
  const double patch_energy = patch.square().sum().item<double>();
  PatchTrack result;
  result.point = {static_cast<double>(x0), static_cast<double>(y0)};
  if (patch_energy < 1e-6) return result;

  // Candidate centres (y0 - s .. y0 + s) x (x0 - s .. x0 + s), clipped to the image.
  const int64_t top = std::max<int64_t>(y0 - s, 0), bottom = std::min<int64_t>(y0 + s, h - 1);
  const int64_t left = std::max<int64_t>(x0 - s, 0), right = std::min<int64_t>(x0 + s, w - 1);
  // Padded `after` row of candidate centre y is y + s (its window starts at y + s - p + p = y + s).
  const torch::Tensor region = a.slice(2, top + s, bottom + s + k).slice(3, left + s, right + s + k);
  const int64_t channels = region.size(1);
  // Per channel: correlation with the zero-mean template, and the window's sum and sum of squares.
  const torch::Tensor ones = torch::ones({channels, 1, k, k}, torch::kFloat64);
  auto per_channel = [channels](const torch::Tensor& x, const torch::Tensor& kernel) {
    const std::vector<int64_t> unit{1, 1}, none{0, 0};
    return torch::conv2d(x, kernel, torch::Tensor(), unit, none, unit, channels);
  };
  const torch::Tensor corr = per_channel(region, patch.view({channels, 1, k, k})).sum(1);
  const torch::Tensor sums = per_channel(region, ones);
  const torch::Tensor squares = per_channel(region.square(), ones);
  const torch::Tensor window_energy = (squares - sums.square() / static_cast<double>(k * k)).sum(1).clamp_min(0.0);
  torch::Tensor ncc = (corr / (window_energy * patch_energy).sqrt().clamp_min(1e-12))[0];  // [rows, cols]
  ncc = torch::where(window_energy[0] < 1e-6, torch::zeros_like(ncc), ncc);

  // Best score; among (numerically) equal ones, the candidate nearest the start point.
  const int64_t rows = ncc.size(0), cols = ncc.size(1);
  auto grid = torch::meshgrid({torch::arange(top, top + rows, torch::kFloat64),
                               torch::arange(left, left + cols, torch::kFloat64)}, "ij");
  const torch::Tensor dist2 = (grid[0] - y0).square() + (grid[1] - x0).square();
  const double best = ncc.max().item<double>();
  const torch::Tensor ranked = torch::where(ncc >= best - 1e-9, dist2, torch::full_like(dist2, 1e18));
  const int64_t flat = ranked.flatten().argmin().item<int64_t>();
  const int64_t r = flat / cols, c = flat % cols;

  result.point = {static_cast<double>(left + c), static_cast<double>(top + r)};
  result.score = best;
  result.valid = true;
  return result;
}

}  // namespace draggan
