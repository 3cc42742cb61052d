// The drags `draggan eval` measures: a seeded, reproducible set of start images and handle -> target pairs.
//
// Drag i of a set uses only (seed, i), so a shorter set is a prefix of a longer one. Its setting cycles through
// the point counts (1, 2, 5), then without / with a mask, then the distance levels, so every 18 drags hold each
// combination once. Handles sit on textured pixels (texture_energy, top 30%, drawn in proportion to it), apart
// from each other and on one part of the image (within 0.3 x the shorter side of the first); all points of a drag
// move about the same way (one direction +-30 degrees, the level's distance +-20%), as a person pulls one part of
// an object (translating a whole centred object is not an edit its generator can make); targets are whole pixels
// inside the image.
// The moved region of a drag is the union of discs of radius region_radius along each handle -> target
// segment; a masked drag may move only there (the rest is fixed), and both kinds are scored outside it.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "draggan/drag/DragSession.h"

namespace draggan {

struct DragSetOptions {
  int count = 54;
  uint64_t seed = 0;
  double psi = 0.7;  // truncation of the start latents (the editor's and `drag`'s default)
  std::vector<int> point_counts{1, 2, 5};
  // Target distances as fractions of the image's shorter side (32 px: 4, 6 and 8 px; 256 px: 32, 48, 64 px).
  std::vector<double> distance_fractions{0.125, 0.1875, 0.25};
  // Radius of the moved region around each handle -> target segment, as a fraction of the shorter side.
  double region_fraction = 0.15;
  void validate() const;  // InputError naming the option
};

struct EvalDrag {
  int index = 0;
  uint32_t image_seed = 0;
  int points = 1;
  bool masked = false;
  int distance_level = 0;       // index into DragSetOptions::distance_fractions
  double nominal_distance = 0;  // pixels: the level's distance on this image
  double region_radius = 0;     // pixels
  std::vector<DragPair> pairs;

  // "2 points, mask, 6 px" style label; setting_key() is the same without the distance ("2pt+mask").
  std::string setting_key() const;
};

// The start image of a seed, uint8 [H, W, C], as the evaluation will drag it.
using StartImageFn = std::function<torch::Tensor(uint32_t seed)>;

// One drag of the set (see above). Tries further image seeds (from the same stream) when an image has too little
// texture for the drag's points; InputError if 50 images in a row do not fit.
EvalDrag make_eval_drag(const DragSetOptions& options, int index, int height, int width,
                        const StartImageFn& start_image);

std::vector<EvalDrag> make_drag_set(const DragSetOptions& options, int height, int width,
                                    const StartImageFn& start_image);

// bool [H, W]: pixels within `radius` of any handle -> target segment.
torch::Tensor moved_region(const std::vector<DragPair>& pairs, int height, int width, double radius);

}  // namespace draggan
