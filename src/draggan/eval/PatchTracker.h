// An independent tracker: where did the content around a handle go? It knows nothing of the generator's
// features (which the engine's own tracking follows and which can "arrive" while the image does something
// else). Normalised cross-correlation of the start image's patch around the point, searched in the final image, to
// the whole pixel (as the engine's handles are; a parabola through the peak's neighbours would add sub-pixel
// positions but is biased by the surface's asymmetry, moving even an unchanged point by a tenth of a pixel).
#pragma once
#include <torch/torch.h>

#include "draggan/drag/DragSession.h"

namespace draggan {

struct PatchTrackOptions {
  int patch_radius = 3;    // the template is (2r+1) x (2r+1) pixels
  int search_radius = 12;  // candidate centres within this many pixels (each axis) of the start point
};

struct PatchTrack {
  DragPoint point;     // best match in `after`, a whole pixel
  double score = 0.0;  // NCC there, -1..1 (0 when the patch is flat)
  bool valid = false;  // false when the start patch has no variance (nothing to follow)
};

// before, after: uint8 [H, W, C] of the same shape (or [H, W]); start: a pixel of `before`. Borders are
// replicated, so points near the edge can be followed. Ties go to the candidate nearest the start point.
PatchTrack track_patch(const torch::Tensor& before, const torch::Tensor& after, DragPoint start,
                       const PatchTrackOptions& options);

// The defaults for an image: patch radius round(0.08 * shorter side) in 3..24; search radius the longest move
// asked for times 1.5 plus the patch radius, so a handle that overshoots its target is still found.
PatchTrackOptions patch_track_options(int height, int width, double longest_move);

}  // namespace draggan
