// Projection (GAN inversion): the latent whose image best reproduces a target, found by optimisation from the
// mean latent with the stylegan2-ada projector's schedule (ProjectionSchedule). Loss: pixel MSE plus an
// optional perceptual distance, plus the noise-map regulariser when noise maps are optimised too.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "draggan/invert/InversionProgress.h"
#include "draggan/invert/PerceptualLoss.h"
#include "draggan/invert/ProjectionSchedule.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

// W: one w_dim vector shared by every layer (the reference projector; stays on the generator's manifold).
// WPlus: one vector per layer (reconstructs more closely; the usual pivot for pivotal tuning and for DragGAN).
enum class ProjectionSpace { W, WPlus };
ProjectionSpace parse_projection_space(const std::string& name);  // "w" | "w+" | "wplus", else InputError
std::string to_string(ProjectionSpace space);

struct ProjectionOptions {
  ProjectionSpace space = ProjectionSpace::WPlus;
  int steps = 1000;
  ProjectionSchedule schedule;
  double mse_weight = 1.0;         // pixel MSE in [-1, 1] units
  double perceptual_weight = 1.0;  // perceptual distance (ignored without a PerceptualLoss)
  // Also optimise the generator's constant noise maps (the reference projector does). They are changed in
  // place, so pass a generator you own and save it with the latent, or the reconstruction is lost.
  bool optimize_noise = false;
  double noise_regularization_weight = 1e5;
  int w_avg_samples = 10000;
  uint64_t seed = 303;  // latent exploration noise (the reference projector's default seed)

  void validate() const;  // InputError on out-of-range values
};

struct ProjectionResult {
  torch::Tensor ws;          // [1, num_ws, w_dim]: the pivot, as the synthesis network takes it
  int steps_run = 0;
  bool cancelled = false;
  double final_loss = 0.0;
};

// target: float [1, img_channels, H, W] in [-1, 1] at the generator's resolution (see fit_image).
// perceptual: may be null (pixel loss only). The generator's weights are not changed (its noise maps are,
// with optimize_noise). Throws InputError on a target of the wrong shape.
ProjectionResult project(GeneratorModel& generator, const torch::Tensor& target, PerceptualLoss* perceptual,
                         const ProjectionOptions& options, const InversionCallbacks& callbacks = {});

// Checks that `target` is [1, channels, height, width] for this generator; returns it on the generator's device.
torch::Tensor checked_target(GeneratorModel& generator, const torch::Tensor& target);

}  // namespace draggan
