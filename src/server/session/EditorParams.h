// The parameters of the editor's next drag on the wire: the engine's DragParams plus the editor's own
// (step limit, how often a live image is sent). JSON keys are the DragParams field names.
#pragma once
#include <nlohmann/json.hpp>

#include "draggan/drag/DragParams.h"

namespace draggan::server {

struct EditorParams {
  DragParams drag;
  int max_steps = 500;    // a drag ends after this many steps if the targets are not reached
  int preview_every = 1;  // a fresh image in the live events every k steps
};

// Applies the keys present in `request` (an object) onto `params`, then validates the result against the
// model (InputError naming the key on a wrong type, an unknown key or a value out of range). `params` is
// unchanged when it throws.
void apply_params_json(const nlohmann::json& request, const GeneratorModel& generator, EditorParams& params);

// Every key, with the pixel values they resolve to on this model under "resolved".
nlohmann::json params_to_json(const EditorParams& params, const GeneratorModel& generator);

}  // namespace draggan::server
