#include "draggan/eval/DragSet.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include "draggan/core/Error.h"
#include "draggan/eval/TextureMap.h"

namespace draggan {
namespace {

// std::mt19937_64's output sequence is fixed by the standard, unlike std's distributions: the set is the same
// with every standard library.
class DrawStream {
 public:
  DrawStream(uint64_t seed, uint64_t index) : engine_(mix(seed, index)) {}
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  uint32_t seed32() { return static_cast<uint32_t>(engine_() >> 32); }

 private:
  // splitmix64 of (seed, index): neighbouring drags get unrelated streams.
  static uint64_t mix(uint64_t seed, uint64_t index) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (index + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::mt19937_64 engine_;
};

constexpr double kTextureQuantile = 0.7;  // handles among the 30% most textured pixels
constexpr double kMaxAngleJitter = M_PI / 6;
constexpr double kDistanceJitter = 0.2;
constexpr double kPartFraction = 0.3;  // the handles of one drag lie within this fraction of the shorter side
constexpr int kPlanAttempts = 20;   // directions tried per image
constexpr int kImageAttempts = 50;  // images tried per drag

// Pixel centres within `radius` of point (x, y): float [H, W] of 0/1.
torch::Tensor near(double x, double y, double radius, const torch::Tensor& gx, const torch::Tensor& gy) {
  return ((gx - x).square() + (gy - y).square() < radius * radius).to(torch::kFloat32);
}

// Index drawn with probability proportional to `weights` (float [N], some > 0), or -1 when all are 0.
int64_t draw_index(const torch::Tensor& weights, DrawStream& rng) {
  const torch::Tensor cdf = weights.to(torch::kFloat64).cumsum(0);
  const double total = cdf[-1].item<double>();
  if (!(total > 0.0)) return -1;
  const double u = rng.uniform() * total;
  const int64_t i = torch::searchsorted(cdf, torch::tensor({u}, torch::kFloat64), false, true)[0].item<int64_t>();
  return std::min<int64_t>(i, weights.size(0) - 1);
}

// The pairs of one drag on one image, or empty when the image has no room for them.
std::vector<DragPair> plan_pairs(const torch::Tensor& energy, int points, double distance, DrawStream& rng) {
  const int64_t h = energy.size(0), w = energy.size(1);
  const double min_side = static_cast<double>(std::min(h, w));
  const double separation = std::max(2.0, 0.1 * min_side);
  auto grid = torch::meshgrid({torch::arange(h, torch::kFloat32), torch::arange(w, torch::kFloat32)}, "ij");
  const torch::Tensor gy = grid[0], gx = grid[1];
  const double threshold = torch::quantile(energy.flatten(), kTextureQuantile).item<double>();
  const double peak = energy.max().item<double>();
  if (!(peak > 0.0)) return {};
  // Textured, and off the outermost pixel ring (a handle there has half a tracking window).
  torch::Tensor base = energy * (energy >= std::max(threshold, 1e-3 * peak)).to(torch::kFloat32);
  base.select(0, 0).zero_();
  base.select(0, h - 1).zero_();
  base.select(1, 0).zero_();
  base.select(1, w - 1).zero_();

  for (int attempt = 0; attempt < kPlanAttempts; ++attempt) {
    const double direction = rng.uniform(0.0, 2 * M_PI);
    torch::Tensor weights = base.clone();
    std::vector<DragPair> pairs;
    // The first handle anywhere on the texture; the others on the same part of the image, around it.
    for (int j = 0; j < points; ++j) {
      const double angle = direction + rng.uniform(-kMaxAngleJitter, kMaxAngleJitter);
      const double d = distance * rng.uniform(1.0 - kDistanceJitter, 1.0 + kDistanceJitter);
      const double dx = std::round(d * std::cos(angle)), dy = std::round(d * std::sin(angle));
      // Handles whose target lands inside the image (off the outer ring) and away from the other targets.
      torch::Tensor allowed = ((gx + dx >= 1) & (gx + dx <= w - 2) & (gy + dy >= 1) & (gy + dy <= h - 2))
                                  .to(torch::kFloat32);
      for (const DragPair& p : pairs) allowed *= 1.0 - near(p.target.x - dx, p.target.y - dy, separation, gx, gy);
      const int64_t pick = draw_index((weights * allowed).flatten(), rng);
      if (pick < 0) break;
      const double x = static_cast<double>(pick % w), y = static_cast<double>(pick / w);
      pairs.push_back({{x, y}, {x + dx, y + dy}});
      weights *= 1.0 - near(x, y, separation, gx, gy);
      if (j == 0) weights *= near(x, y, kPartFraction * min_side, gx, gy);
    }
    if (static_cast<int>(pairs.size()) == points) return pairs;
  }
  return {};
}

}  // namespace

void DragSetOptions::validate() const {
  if (count < 1 || count > 100000) throw InputError("--drags must be in 1..100000");
  if (!(std::isfinite(psi) && psi >= 0.0 && psi <= 2.0)) throw InputError("--psi must be in 0..2");
  if (point_counts.empty()) throw InputError("drag set: no point counts");
  for (int n : point_counts)
    if (n < 1 || n > 64) throw InputError("drag set: points per drag must be in 1..64, got " + std::to_string(n));
  if (distance_fractions.empty()) throw InputError("drag set: no distances");
  for (double f : distance_fractions)
    if (!(std::isfinite(f) && f > 0.0 && f < 1.0)) throw InputError("drag set: distance fractions must be in (0, 1)");
  if (!(std::isfinite(region_fraction) && region_fraction > 0.0 && region_fraction < 1.0))
    throw InputError("drag set: region fraction must be in (0, 1)");
}

std::string EvalDrag::setting_key() const {
  return std::to_string(points) + "pt" + (masked ? "+mask" : "");
}

EvalDrag make_eval_drag(const DragSetOptions& options, int index, int height, int width,
                        const StartImageFn& start_image) {
  options.validate();
  const int n_points = static_cast<int>(options.point_counts.size());
  const int n_levels = static_cast<int>(options.distance_fractions.size());
  EvalDrag drag;
  drag.index = index;
  drag.points = options.point_counts[index % n_points];
  drag.masked = (index / n_points) % 2 == 1;
  drag.distance_level = (index / (2 * n_points)) % n_levels;
  const double min_side = std::min(height, width);
  drag.nominal_distance = options.distance_fractions[drag.distance_level] * min_side;
  drag.region_radius = options.region_fraction * min_side;

  DrawStream rng(options.seed, static_cast<uint64_t>(index));
  for (int attempt = 0; attempt < kImageAttempts; ++attempt) {
    drag.image_seed = rng.seed32();
    const torch::Tensor image = start_image(drag.image_seed);
    if (image.size(0) != height || image.size(1) != width)
      throw InputError("drag set: start image is " + std::to_string(image.size(1)) + "x" +
                       std::to_string(image.size(0)) + ", expected " + std::to_string(width) + "x" +
                       std::to_string(height));
    drag.pairs = plan_pairs(texture_energy(image), drag.points, drag.nominal_distance, rng);
    if (!drag.pairs.empty()) return drag;
  }
  throw InputError("drag set: drag " + std::to_string(index) + ": " + std::to_string(kImageAttempts) +
                   " start images in a row had no room for " + std::to_string(drag.points) +
                   " textured handles (blank images?)");
}

std::vector<EvalDrag> make_drag_set(const DragSetOptions& options, int height, int width,
                                    const StartImageFn& start_image) {
  std::vector<EvalDrag> set;
  for (int i = 0; i < options.count; ++i) set.push_back(make_eval_drag(options, i, height, width, start_image));
  return set;
}

torch::Tensor moved_region(const std::vector<DragPair>& pairs, int height, int width, double radius) {
  auto grid = torch::meshgrid({torch::arange(height, torch::kFloat64), torch::arange(width, torch::kFloat64)}, "ij");
  const torch::Tensor gy = grid[0], gx = grid[1];
  torch::Tensor region = torch::zeros({height, width}, torch::kBool);
  for (const DragPair& p : pairs) {
    const double dx = p.target.x - p.handle.x, dy = p.target.y - p.handle.y, len2 = dx * dx + dy * dy;
    torch::Tensor t = len2 > 0 ? (((gx - p.handle.x) * dx + (gy - p.handle.y) * dy) / len2).clamp(0.0, 1.0)
                               : torch::zeros_like(gx);
    region |= (gx - (p.handle.x + t * dx)).square() + (gy - (p.handle.y + t * dy)).square() <= radius * radius;
  }
  return region;
}

}  // namespace draggan
