// The fast projection schedule (`draggan project --schedule fast`, the default): the same goal as the reference
// projector (Projector.h) in a small fraction of its forwards.
//
// Why it is faster: (1) the start is the best of many mapped seeds, compared on a coarse image, instead of the
// mean latent, so the optimisation starts near the answer; (2) coarse to fine: the first stages fit the
// generator's reduced-resolution images (GeneratorModel::coarse_image, a forward stopped early) to the target
// downsampled, so most steps cost a fraction of a full one; (3) fewer steps at a higher learning rate, in W+, with
// no exploration noise; (4) the perceptual term only in the full-resolution stage.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "draggan/invert/InversionProgress.h"
#include "draggan/invert/PerceptualLoss.h"
#include "draggan/invert/Projector.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

struct FastProjectionOptions {
  ProjectionSpace space = ProjectionSpace::WPlus;
  // Start search: this many seeds mapped (half with truncation 0.7, half without) and the mean latent, compared
  // with the target on the coarse image nearest to `search_height` (0 = skip the search: start from the mean).
  int search_candidates = 64;
  int search_height = 32;
  // Steps per stage, coarsest first, over the model's coarse heights from image height / 8 up (each stage one
  // resolution up; the last entry is the full image). A model with fewer coarse heights runs the first entries'
  // steps at its coarsest one.
  std::vector<int> stage_steps{30, 30, 30, 40};
  double lr = 0.04;  // Adam; cosine ramp-down over each stage's last quarter to lr / 4, over the last stage's to 0
  double mse_weight = 1.0;
  double perceptual_weight = 1.0;  // full-resolution stage only
  int w_avg_samples = 10000;
  uint64_t seed = 303;  // the seeds searched

  int total_steps() const;
  // Spreads `total` steps over the stages in the default proportions (InputError when negative).
  void set_total_steps(int total);
  void validate() const;  // InputError on out-of-range values
};

// target: float [1, C, H, W] in [-1, 1] at the generator's resolution. perceptual may be null. Progress is
// reported as one Projection stage of total_steps() steps (the search counts as none).
ProjectionResult fast_project(GeneratorModel& generator, const torch::Tensor& target, PerceptualLoss* perceptual,
                              const FastProjectionOptions& options, const InversionCallbacks& callbacks = {});

}  // namespace draggan
