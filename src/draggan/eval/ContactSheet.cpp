#include "draggan/eval/ContactSheet.h"

#include <algorithm>
#include <cmath>

#include "draggan/drag/DragOverlay.h"

namespace draggan {
namespace {

constexpr int kMinPanel = 256;
constexpr int kGutter = 8;

torch::Tensor rgb(const torch::Tensor& hwc) { return hwc.size(2) == 3 ? hwc : hwc.expand({-1, -1, 3}).contiguous(); }

torch::Tensor enlarge(const torch::Tensor& hwc, int64_t scale) {
  if (scale == 1) return hwc.contiguous();
  return hwc.repeat_interleave(scale, 0).repeat_interleave(scale, 1).contiguous();
}

// A pixel-centre coordinate of the original image on the enlarged one.
DragPoint scaled(const DragPoint& p, int64_t scale) {
  const double s = static_cast<double>(scale);
  return {(p.x + 0.5) * s - 0.5, (p.y + 0.5) * s - 0.5};
}

// A ring of the given colour around each point.
void draw_rings(torch::Tensor& image, const std::vector<DragPoint>& points, double radius, uint8_t r, uint8_t g,
                uint8_t b) {
  const int64_t h = image.size(0), w = image.size(1);
  auto grid = torch::meshgrid({torch::arange(h, torch::kFloat32), torch::arange(w, torch::kFloat32)}, "ij");
  const double width = std::max(1.0, radius / 3);
  for (const DragPoint& p : points) {
    const torch::Tensor d = ((grid[1] - p.x).square() + (grid[0] - p.y).square()).sqrt();
    image.index_put_({(d <= radius) & (d >= radius - width)}, torch::tensor({r, g, b}, torch::kUInt8));
  }
}

}  // namespace

torch::Tensor drag_contact_sheet(const DragOutcome& o) {
  const int64_t h = o.before.size(0), w = o.before.size(1);
  const int64_t scale = std::max<int64_t>(1, (kMinPanel + h - 1) / h);
  const double point_radius = std::max(3.0, std::max(h, w) * scale / 64.0);

  std::vector<DragPair> start_pairs, final_pairs;
  std::vector<DragPoint> tracked;
  for (const PointOutcome& p : o.points) {
    start_pairs.push_back({scaled(p.start, scale), scaled(p.target, scale)});
    final_pairs.push_back({scaled(p.final_handle, scale), scaled(p.target, scale)});
    tracked.push_back(scaled(p.tracked, scale));
  }
  torch::Tensor before = draw_drag_overlay(enlarge(rgb(o.before), scale), start_pairs);
  torch::Tensor after = draw_drag_overlay(enlarge(rgb(o.after), scale), final_pairs);
  draw_rings(after, tracked, point_radius * 1.6, 0, 220, 0);

  // |after - before| stretched so small changes show, the fixed area of a masked drag at half brightness.
  torch::Tensor diff = (rgb(o.after).to(torch::kInt16) - rgb(o.before).to(torch::kInt16)).abs().to(torch::kFloat32);
  diff = (diff * 3.0).clamp(0, 255);
  if (o.drag.masked) diff = torch::where(o.region.unsqueeze(-1), diff, diff * 0.5 + 24);
  const torch::Tensor region = enlarge(o.region.unsqueeze(-1), scale).squeeze(-1);
  // The region's outline: region pixels with a neighbour outside it.
  const torch::Tensor padded = torch::constant_pad_nd(region.to(torch::kFloat32).unsqueeze(0).unsqueeze(0), {1, 1, 1, 1}, 0);
  const torch::Tensor inner = -torch::max_pool2d(-padded, 3, 1)[0][0] > 0.5;
  torch::Tensor difference = enlarge(diff.to(torch::kUInt8), scale);
  difference.index_put_({region & inner.logical_not()}, torch::tensor({255, 220, 0}, torch::kUInt8));

  const int64_t ph = h * scale, pw = w * scale;
  torch::Tensor sheet = torch::full({ph + 2 * kGutter, 3 * pw + 4 * kGutter, 3}, 40, torch::kUInt8);
  int64_t left = kGutter;
  for (const torch::Tensor& panel : {before, after, difference}) {
    sheet.slice(0, kGutter, kGutter + ph).slice(1, left, left + pw).copy_(panel);
    left += pw + kGutter;
  }
  return sheet;
}

}  // namespace draggan
