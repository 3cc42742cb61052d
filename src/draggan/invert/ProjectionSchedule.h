// The learning-rate and latent-noise schedule of NVIDIA's stylegan2-ada projector, as a pure function of the
// step so it can be tested and shared by the W and W+ projections.
#pragma once

namespace draggan {

struct ProjectionSchedule {
  double initial_lr = 0.1;
  double lr_rampup = 0.05;    // fraction of the run over which lr rises linearly from 0
  double lr_rampdown = 0.25;  // fraction at the end over which lr falls to 0 along a half cosine
  double initial_noise_factor = 0.05;  // latent noise at step 0, in units of the W spread (w_std)
  double noise_ramp = 0.75;   // the latent noise decays quadratically to 0 over this fraction of the run

  // Learning rate of step `step` (0-based) of `total`.
  double lr(int step, int total) const;
  // Standard deviation of the Gaussian noise added to the latent at this step (exploration early on).
  double latent_noise(int step, int total, double w_std) const;
};

}  // namespace draggan
