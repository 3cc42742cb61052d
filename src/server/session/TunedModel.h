// A session's pivotal-tuned generator (after an upload) as weights and back: what save, load, spill and
// restore share, so the generator type is named in one place.
#pragma once
#include <memory>
#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/io/ModelFile.h"

namespace draggan::server {

// The generator's weights, on the CPU.
StateDict tuned_weights(const LoadedModel& model);

// Whether `model`'s generator has exactly `weights` (names, shapes, dtypes and values), so that a session file
// carrying weights the session already holds (the model's own, an earlier load's) shares them instead of
// keeping another copy in its undo history.
bool has_weights(const LoadedModel& model, const StateDict& weights);

// A copy of `base` whose generator has `weights` (eval mode, no gradients, on the base's device). Throws
// InputError naming `origin` when a tensor is missing or has the wrong shape.
std::shared_ptr<LoadedModel> with_tuned_weights(const LoadedModel& base, const StateDict& weights,
                                                const std::string& origin);

}  // namespace draggan::server
