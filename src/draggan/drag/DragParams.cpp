#include "draggan/drag/DragParams.h"

#include <algorithm>
#include <cctype>
#include <cfenv>
#include <cmath>
#include <limits>

#include "draggan/core/Error.h"

namespace draggan {

LatentSpace parse_latent_space(const std::string& name) {
  std::string lower;
  for (char ch : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (lower == "w") return LatentSpace::W;
  if (lower == "w+" || lower == "wplus" || lower == "w_plus") return LatentSpace::WPlus;
  throw InputError("latent space must be w or w+, got '" + name + "'");
}

std::string to_string(LatentSpace space) { return space == LatentSpace::W ? "w" : "w+"; }

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw InputError("drag parameters: " + what);
}

std::string num(double v) { return std::isnan(v) ? "nan" : std::to_string(v); }

}  // namespace

void DragParams::validate() const {
  require(std::isfinite(lr) && lr > 0.0, "lr must be a positive finite number, got " + num(lr));
  require(feature_block >= -1, "feature_block must be -1 (auto) or a block index >= 0, got " +
                                   std::to_string(feature_block));
  require(std::isfinite(r1) && r1 > 0.0, "r1 must be positive, got " + num(r1));
  require(std::isfinite(r2) && r2 > 0.0, "r2 must be positive, got " + num(r2));
  // 1e6 keeps the scaled radii far inside int range for any supported resolution.
  require(r1 <= 1e6 && r2 <= 1e6, "r1 and r2 must be at most 1e6");
  require(std::isfinite(lambda_mask) && lambda_mask >= 0.0, "lambda_mask must be >= 0, got " + num(lambda_mask));
  require(std::isfinite(reg) && reg >= 0.0, "reg must be >= 0, got " + num(reg));
  require(std::isfinite(reg_l2) && reg_l2 >= 0.0, "reg_l2 must be >= 0, got " + num(reg_l2));
  require(!std::isnan(stop_distance) && std::isfinite(stop_distance),
          "stop_distance must be a finite number (< 0 = official default), got " + num(stop_distance));
  require(optimized_layers >= 1, "optimized_layers must be >= 1, got " + std::to_string(optimized_layers));
  require(first_optimized_layer >= 0 && first_optimized_layer < optimized_layers,
          "first_optimized_layer must be in 0.." + std::to_string(optimized_layers - 1) + " (below optimized_layers " +
              std::to_string(optimized_layers) + "), got " + std::to_string(first_optimized_layer));
}

int python_round(double x) {
  if (!std::isfinite(x) || std::fabs(x) > static_cast<double>(std::numeric_limits<int>::max()))
    throw InputError("python_round: value out of range: " + num(x));
  // nearbyint in the default rounding mode is round-half-to-even on the exact double, as Python's round().
  const int saved = std::fegetround();
  std::fesetround(FE_TONEAREST);
  const double r = std::nearbyint(x);
  std::fesetround(saved);
  return static_cast<int>(r);
}

ResolvedDragParams resolve_drag_params(const DragParams& params, const GeneratorModel& generator) {
  params.validate();
  const int layers = generator.num_feature_layers();
  ResolvedDragParams r;
  r.canvas = generator.feature_canvas();
  const int h = r.canvas.height;
  if (params.feature_block < 0) {
    r.feature_block = generator.default_feature_layer();
  } else {
    if (params.feature_block >= layers)
      throw InputError("drag parameters: feature_block " + std::to_string(params.feature_block) +
                       " does not exist: this generator has feature layers 0.." + std::to_string(layers - 1) + " (" +
                       generator.feature_layer_name(0) + ".." + generator.feature_layer_name(layers - 1) + ")");
    r.feature_block = params.feature_block;
  }
  r.feature_layer = generator.feature_layer_name(r.feature_block);
  // Same expression order as the official round(r / 512 * h).
  // The official radius whenever it is a pixel or more (128-px models at the default r1 3 get the official 1 px).
  const int r1_pixels = python_round(params.r1 / 512.0 * h);
  r.r1_pixels = r1_pixels >= 1 ? r1_pixels : kMinR1Pixels;
  r.r2_pixels = std::max(python_round(params.r2 / 512.0 * h), kMinR2Pixels);
  r.stop_distance = params.stop_distance < 0.0 ? std::max(2.0 / 512.0 * h, 2.0) : params.stop_distance;
  r.optimized_layers = std::min(params.optimized_layers, generator.latent_layout().num_ws);
  if (params.first_optimized_layer >= r.optimized_layers)
    throw InputError("drag parameters: first_optimized_layer " + std::to_string(params.first_optimized_layer) +
                     " leaves nothing to optimise: this generator has " +
                     std::to_string(generator.latent_layout().num_ws) + " ws rows");
  r.first_optimized_layer = params.first_optimized_layer;
  return r;
}

}  // namespace draggan
