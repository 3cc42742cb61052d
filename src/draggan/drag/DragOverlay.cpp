#include "draggan/drag/DragOverlay.h"

#include <algorithm>
#include <cmath>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

// Pixel-centre coordinates of the whole image, [H, W] each; every shape is a mask computed over them (a few
// shapes per frame, so a full-image pass per shape costs nothing next to a synthesis).
struct Grid {
  torch::Tensor x, y;
};

torch::Tensor disc(const Grid& g, const DragPoint& c, double radius) {
  return (g.x - c.x).square() + (g.y - c.y).square() <= radius * radius;
}

// Pixels within half_width of the segment a-b.
torch::Tensor segment(const Grid& g, double ax, double ay, double bx, double by, double half_width) {
  const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  torch::Tensor t = len2 > 0 ? (((g.x - ax) * dx + (g.y - ay) * dy) / len2).clamp(0.0, 1.0) : torch::zeros_like(g.x);
  return (g.x - (ax + t * dx)).square() + (g.y - (ay + t * dy)).square() <= half_width * half_width;
}

void paint(torch::Tensor& image, const torch::Tensor& where, uint8_t r, uint8_t g, uint8_t b) {
  torch::Tensor colour = torch::tensor({r, g, b}, torch::kUInt8);
  image.index_put_({where}, colour);
}

}  // namespace

torch::Tensor draw_drag_overlay(const torch::Tensor& image_in, const std::vector<DragPair>& pairs) {
  if (!image_in.defined() || image_in.dim() != 3 || image_in.size(2) != 3 || image_in.scalar_type() != torch::kUInt8)
    throw InputError("draw_drag_overlay: expected a uint8 [H, W, 3] image");
  torch::Tensor image = image_in.to(torch::kCPU).clone();
  const int64_t h = image.size(0), w = image.size(1);
  auto coords = torch::meshgrid({torch::arange(h, torch::kFloat32), torch::arange(w, torch::kFloat32)}, "ij");
  Grid grid{coords[1], coords[0]};
  const double size = std::max<double>(h, w);
  const double radius = std::max(1.5, size / 64.0), half_width = std::max(0.5, size / 256.0);
  const double head = std::max(3.0, size / 24.0);

  for (const auto& p : pairs) {
    const double dx = p.target.x - p.handle.x, dy = p.target.y - p.handle.y, len = std::hypot(dx, dy);
    torch::Tensor arrow = segment(grid, p.handle.x, p.handle.y, p.target.x, p.target.y, half_width);
    if (len > radius) {
      // Two barbs at +-30 degrees back from the target.
      const double ux = dx / len, uy = dy / len, c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
      const double hl = std::min(head, len / 2);
      for (double sign : {-1.0, 1.0}) {
        const double bx = -(ux * c - sign * uy * s), by = -(uy * c + sign * ux * s);
        arrow |= segment(grid, p.target.x, p.target.y, p.target.x + hl * bx, p.target.y + hl * by, half_width);
      }
    }
    paint(image, arrow, 255, 255, 255);
  }
  for (const auto& p : pairs) {
    paint(image, disc(grid, p.target, radius), 0, 0, 255);
    paint(image, disc(grid, p.handle, radius), 255, 0, 0);
  }
  return image;
}

}  // namespace draggan
