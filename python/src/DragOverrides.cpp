#include "DragOverrides.h"

#include "draggan/core/Error.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

const char* expected_type(const std::string& key) {
  if (key == "noise_mode") return "'const', 'random' or 'none'";
  if (key == "w_plus" || key == "exact_grid") return "True or False";
  if (key == "feature_idx" || key == "optimized_layers" || key == "first_optimized_layer") return "a whole number";
  return "a number";
}

}  // namespace

void DragOverrides::apply(DragSettings& s) const {
  DragParams& p = s.params;
  if (lr) p.lr = *lr;
  if (r1) p.r1 = *r1;
  if (r2) p.r2 = *r2;
  if (lambda_mask) p.lambda_mask = *lambda_mask;
  if (reg) p.reg = *reg;
  if (reg_l2) p.reg_l2 = *reg_l2;
  if (stop_distance) p.stop_distance = *stop_distance;
  if (w_plus) s.space = *w_plus ? LatentSpace::WPlus : LatentSpace::W;
  if (feature_idx) p.feature_block = *feature_idx;
  if (optimized_layers) p.optimized_layers = *optimized_layers;
  if (first_optimized_layer) p.first_optimized_layer = *first_optimized_layer;
  if (noise_mode) p.noise = parse_noise_mode(*noise_mode);
  if (exact_grid) p.exact_pixel_grid = *exact_grid;
  p.validate();
}

DragOverrides overrides_from(const py::kwargs& kw) {
  DragOverrides o;
  for (const auto& item : kw) {
    const std::string key = py::str(item.first);
    const py::handle v = item.second;
    if (v.is_none()) continue;
    try {
      if (key == "lr") o.lr = v.cast<double>();
      else if (key == "r1") o.r1 = v.cast<double>();
      else if (key == "r2") o.r2 = v.cast<double>();
      else if (key == "lambda_mask") o.lambda_mask = v.cast<double>();
      else if (key == "reg") o.reg = v.cast<double>();
      else if (key == "reg_l2") o.reg_l2 = v.cast<double>();
      else if (key == "stop_distance") o.stop_distance = v.cast<double>();
      else if (key == "w_plus") o.w_plus = v.cast<bool>();
      else if (key == "feature_idx") o.feature_idx = v.cast<int>();
      else if (key == "optimized_layers") o.optimized_layers = v.cast<int>();
      else if (key == "first_optimized_layer") o.first_optimized_layer = v.cast<int>();
      else if (key == "noise_mode") o.noise_mode = v.cast<std::string>();
      else if (key == "exact_grid") o.exact_grid = v.cast<bool>();
      else throw InputError("unknown drag setting '" + key + "'");
    } catch (const py::cast_error&) {
      throw InputError(key + ": expected " + expected_type(key) + ", got " + std::string(py::repr(v)));
    }
  }
  return o;
}

}  // namespace draggan::python
