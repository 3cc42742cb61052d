// One drag at a glance, for the eval report: the start image with its handles (red), targets (blue) and arrows;
// the final image with the engine's final handles (red), the independent tracker's points (green) and the
// targets; and the difference between them with the moved region outlined (yellow) and, for a masked drag, the
// fixed area dimmed. Small images are enlarged (nearest neighbour) so the points are legible.
#pragma once
#include <torch/torch.h>

#include "draggan/eval/DragEvaluation.h"

namespace draggan {

// uint8 [H', W', 3]: the three panels side by side on a dark gray ground, each at least ~256 px high.
torch::Tensor drag_contact_sheet(const DragOutcome& outcome);

}  // namespace draggan
