// What a user chooses for a projection + pivotal tuning, in words and optional overrides — `draggan project`'s
// options and the Python module's invert() arguments — and the one place that turns them into InversionOptions.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "draggan/invert/ImageInversion.h"

namespace draggan {

struct InversionChoices {
  std::string schedule = "fast";  // "fast" | "full"
  std::string space = "w+";
  // Given by the user (else the schedule's own values).
  std::optional<int> steps, pti_steps;
  std::optional<double> lr, pti_lr;
  std::string perceptual = "auto";
  std::string vgg, lpips;
  std::string fit = "crop";
  bool optimize_noise = false;
  int64_t seed = 303;
};

// How the caller names a choice in its errors: "seed" -> "--seed" (CLI) or "seed" (Python); the key
// "schedule=full" names the full schedule ("--schedule full", "schedule='full'").
using ChoiceSpelling = std::function<std::string(const std::string& key)>;

// Validated options (InputError naming the choice otherwise). `image_height`: the model's, on which the fast
// schedule's tuning defaults depend.
InversionOptions inversion_options_from(const InversionChoices& choices, int image_height,
                                        const ChoiceSpelling& spell);
// The tuning part alone, for a model of `image_height` (the CLI validates before loading the model).
PivotalTuningOptions tuning_options_from(const InversionChoices& choices, InversionSchedule schedule,
                                         int image_height);

}  // namespace draggan
