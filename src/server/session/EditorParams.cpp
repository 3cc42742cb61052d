#include "server/session/EditorParams.h"

#include <cmath>

#include "draggan/core/Error.h"

namespace draggan::server {
namespace {

double number(const nlohmann::json& value, const std::string& key) {
  if (!value.is_number()) throw InputError("params." + key + ": expected a number, got " + value.dump());
  const double x = value.get<double>();
  if (!std::isfinite(x)) throw InputError("params." + key + ": must be finite");
  return x;
}

int integer(const nlohmann::json& value, const std::string& key, int lo, int hi) {
  const double x = number(value, key);
  if (x != std::floor(x) || x < lo || x > hi)
    throw InputError("params." + key + ": expected an integer in " + std::to_string(lo) + ".." +
                     std::to_string(hi) + ", got " + value.dump());
  return static_cast<int>(x);
}

}  // namespace

void apply_params_json(const nlohmann::json& request, const GeneratorModel& generator, EditorParams& params) {
  if (!request.is_object()) throw InputError("params: expected a JSON object");
  EditorParams next = params;
  DragParams& d = next.drag;
  for (const auto& [key, value] : request.items()) {
    if (key == "lr") d.lr = number(value, key);
    else if (key == "r1") d.r1 = number(value, key);
    else if (key == "r2") d.r2 = number(value, key);
    else if (key == "lambda_mask") d.lambda_mask = number(value, key);
    else if (key == "reg") d.reg = number(value, key);
    else if (key == "reg_l2") d.reg_l2 = number(value, key);
    else if (key == "stop_distance") d.stop_distance = number(value, key);
    else if (key == "feature_block") d.feature_block = integer(value, key, -1, 64);
    else if (key == "optimized_layers") d.optimized_layers = integer(value, key, 1, 1024);
    else if (key == "first_optimized_layer") d.first_optimized_layer = integer(value, key, 0, 1023);
    else if (key == "exact_pixel_grid") {
      if (!value.is_boolean()) throw InputError("params.exact_pixel_grid: expected true or false");
      d.exact_pixel_grid = value.get<bool>();
    } else if (key == "noise") {
      if (!value.is_string()) throw InputError("params.noise: expected \"const\", \"random\" or \"none\"");
      d.noise = parse_noise_mode(value.get<std::string>());
    } else if (key == "max_steps") next.max_steps = integer(value, key, 1, 100000);
    else if (key == "preview_every") next.preview_every = integer(value, key, 1, 100000);
    else if (key == "resolved") continue;  // echoed back from a state: informative only
    else throw InputError("params: unknown parameter \"" + key + "\"");
  }
  d.validate();
  resolve_drag_params(d, generator);  // throws for a feature layer this model does not have
  params = next;
}

nlohmann::json params_to_json(const EditorParams& params, const GeneratorModel& generator) {
  const DragParams& d = params.drag;
  const ResolvedDragParams r = resolve_drag_params(d, generator);
  return {{"lr", d.lr},
          {"r1", d.r1},
          {"r2", d.r2},
          {"lambda_mask", d.lambda_mask},
          {"reg", d.reg},
          {"reg_l2", d.reg_l2},
          {"stop_distance", d.stop_distance},
          {"feature_block", d.feature_block},
          {"optimized_layers", d.optimized_layers},
          {"first_optimized_layer", d.first_optimized_layer},
          {"exact_pixel_grid", d.exact_pixel_grid},
          {"noise", to_string(d.noise)},
          {"max_steps", params.max_steps},
          {"preview_every", params.preview_every},
          {"resolved",
           {{"feature_block", r.feature_block},
            {"feature_layer", r.feature_layer},
            {"r1_pixels", r.r1_pixels},
            {"r2_pixels", r.r2_pixels},
            {"stop_distance", r.stop_distance},
            {"optimized_layers", r.optimized_layers},
            {"first_optimized_layer", r.first_optimized_layer}}}};
}

}  // namespace draggan::server
