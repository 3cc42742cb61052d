// The settings a drag starts from for one model: the official defaults, with what the model file records about
// itself (its step size, latent space, radii, stop rule; io/ModelFile.h RecommendedDrag) applied on top. The
// CLI and the editor begin here and let the user override any of it.
#pragma once
#include <optional>

#include "draggan/drag/DragParams.h"
#include "draggan/io/ModelFile.h"

namespace draggan {

struct DragSettings {
  DragParams params;
  LatentSpace space = LatentSpace::WPlus;
  // The step limit the model's numbers were measured with; unset = the caller's own default.
  std::optional<int> max_steps;
};

// No validation against the generator here: resolve_drag_params does that when a session starts.
DragSettings model_drag_settings(const LoadedModel& model);

// What `settings` differs in from the official defaults, as a model would record it (for `draggan convert`).
RecommendedDrag recommended_drag_of(const DragSettings& settings);

}  // namespace draggan
