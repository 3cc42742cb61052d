// The fast projection schedule (`draggan project --schedule fast`, the default): the reference projector's
// arithmetic (Projector.h: mean-latent start, its learning-rate ramps and latent noise, one schedule over the whole
// run) in a short budget, with its first steps on a coarse image.
//
// Why this shape (bench/README.md, "Inversion"): the earlier fast schedule (best of 64 seeds, four coarse-to-fine
// stages at a constant lr 0.04, no noise) lost 9-13 dB to the reference projector cut to the same number of steps
// on the shipped model. What is kept of coarse to fine is one coarse stage: a StyleGAN2 skip generator's RGB image
// at ~64 px (GeneratorModel::coarse_image, the forward stopped early) costs about a third of a 256-px step and
// carries most of a smooth image's energy, so the first steps place the coarse layers cheaply and the last steps
// fit the whole image.
#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "draggan/invert/InversionProgress.h"
#include "draggan/invert/PerceptualLoss.h"
#include "draggan/invert/ProjectionSchedule.h"
#include "draggan/invert/Projector.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

struct FastProjectionOptions {
  ProjectionSpace space = ProjectionSpace::WPlus;
  int steps = 80;
  ProjectionSchedule schedule;  // over all `steps`, as in the reference projector
  // The first `coarse_fraction` of the steps fit the generator's coarse image nearest `coarse_height` (between
  // image height / 8 and the image's own height) to the target area-downsampled; none for a model of at most
  // that height or without coarse images.
  int coarse_height = 64;
  double coarse_fraction = 0.6;
  double mse_weight = 1.0;
  double perceptual_weight = 1.0;  // full-resolution steps only
  // w_avg and w_std from fewer samples than the reference's 10000: its 10000 mappings cost 20-35 s at 256 px on two
  // loaded cores, and the start only needs the mean to a fraction of w_std.
  int w_avg_samples = 2000;
  uint64_t seed = 303;  // latent exploration noise

  int total_steps() const { return steps; }
  void set_total_steps(int total);  // InputError when negative
  void validate() const;            // InputError on out-of-range values
};

// The coarse height the fast schedule's first steps use for this generator, or its image height when it has none.
int fast_coarse_height(GeneratorModel& generator, const FastProjectionOptions& options);

// target: float [1, C, H, W] in [-1, 1] at the generator's resolution. perceptual may be null. Progress is
// reported as one Projection stage of `steps` steps.
ProjectionResult fast_project(GeneratorModel& generator, const torch::Tensor& target, PerceptualLoss* perceptual,
                              const FastProjectionOptions& options, const InversionCallbacks& callbacks = {});

}  // namespace draggan
