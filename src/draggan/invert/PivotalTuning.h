// Pivotal tuning (Roich et al., "Pivotal Tuning for Latent-based Editing of Real Images", 2021): after
// projection, fine-tune the generator's synthesis weights so that the pivot latent reproduces the photo
// closely, while a locality regulariser keeps the tuned generator equal to the original one at latents a
// little away from the pivot, so the rest of the latent space (and therefore edits) behaves as before.
#pragma once
#include <torch/torch.h>

#include <cstdint>

#include "draggan/invert/InversionProgress.h"
#include "draggan/invert/PerceptualLoss.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

struct PivotalTuningOptions {
  int steps = 350;            // the paper's default
  double lr = 3e-4;           // Adam, constant
  double mse_weight = 1.0;    // pixel MSE at the pivot, [-1, 1] units
  double perceptual_weight = 1.0;
  // Locality regulariser: each step draws z ~ N(0, I), maps it with truncation `locality_psi`, and moves
  // from the pivot towards it by `locality_fraction` of the way; the tuned and original images there are
  // compared with the same two losses, weighted by locality_weight. 0 turns it off. The paper weights it 0.1
  // next to LPIPS; with pixel loss alone that let other latents' images drift to 23-27 dB PSNR on the fixture,
  // 1.0 keeps them above 31 dB for ~1 dB less at the pivot.
  double locality_weight = 1.0;
  double locality_fraction = 0.5;
  double locality_psi = 0.5;
  // The locality term every this many steps, weighted that many times more (about the same pull for fewer
  // forwards).
  int locality_every = 1;
  // Tune only the layers that shape the image at this height and finer (GeneratorModel::tuning_parameters);
  // 0 tunes every synthesis layer. The coarse layers then need no weight gradients at all.
  int min_height = 0;
  uint64_t seed = 0;

  void validate() const;  // InputError on out-of-range values
};

struct PivotalTuningResult {
  GeneratorPtr generator;        // the tuned copy (eval mode, no gradients)
  int steps_run = 0;
  bool cancelled = false;
  double final_loss = 0.0;
};

// Tunes a copy of `original` (left untouched) so that synthesize(pivot_ws) matches `target`
// ([1, C, H, W] in [-1, 1]). pivot_ws: [1, num_ws, w_dim]. perceptual may be null (pixel loss only).
PivotalTuningResult pivotal_tuning(GeneratorModel& original, const torch::Tensor& pivot_ws, const torch::Tensor& target,
                                   PerceptualLoss* perceptual, const PivotalTuningOptions& options,
                                   const InversionCallbacks& callbacks = {});

}  // namespace draggan
