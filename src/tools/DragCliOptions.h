// The drag knobs `drag` and `eval` share. Each option the user gives overrides what the model records about
// itself (drag/DragDefaults.h), which overrides the official default; so `draggan drag` on the shipped model
// runs with the settings its model card was measured with, and --lr etc. still win.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "draggan/drag/DragDefaults.h"

namespace draggan::tools {

class DragCliOptions {
 public:
  // `default_max_steps` is the step limit when neither the user nor the model gives one.
  void add_to(CLI::App& sub, int default_max_steps);
  // The settings for `model`, with the user's options applied; InputError on a bad value.
  DragSettings resolve(const LoadedModel& model) const;
  // The step limit resolve() chose (the user's --steps, else the model's, else the default).
  int max_steps(const LoadedModel& model) const;

 private:
  DragParams user_;
  std::string space_ = "w+";
  std::string noise_ = "const";
  int steps_ = 100;
  int default_steps_ = 100;
  CLI::Option* lr_ = nullptr;
  CLI::Option* r1_ = nullptr;
  CLI::Option* r2_ = nullptr;
  CLI::Option* lambda_mask_ = nullptr;
  CLI::Option* reg_ = nullptr;
  CLI::Option* feature_block_ = nullptr;
  CLI::Option* stop_distance_ = nullptr;
  CLI::Option* layers_ = nullptr;
  CLI::Option* space_option_ = nullptr;
  CLI::Option* steps_option_ = nullptr;
};

}  // namespace draggan::tools
