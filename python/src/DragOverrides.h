// The drag settings a Python caller may give as keywords (DragSession, evaluate), named as the official code
// names them: lr, w_plus, r1, r2, lambda_mask, reg, feature_idx, ... None = what the model records, else the
// official default (the CLI's rule, drag/DragDefaults.h).
#pragma once
#include <pybind11/pybind11.h>

#include <optional>
#include <string>

#include "draggan/drag/DragDefaults.h"

namespace draggan::python {

struct DragOverrides {
  std::optional<double> lr, r1, r2, lambda_mask, reg, reg_l2, stop_distance;
  std::optional<bool> w_plus;
  std::optional<int> feature_idx, optimized_layers, first_optimized_layer;
  std::optional<std::string> noise_mode;
  std::optional<bool> exact_grid;

  // Applies the given ones to `settings` and validates the result (InputError).
  void apply(DragSettings& settings) const;
};

// From keyword arguments; InputError naming an unknown one.
DragOverrides overrides_from(const pybind11::kwargs& kw);

}  // namespace draggan::python
