#include "draggan/invert/ProjectionSchedule.h"

#include <algorithm>
#include <cmath>

namespace draggan {

double ProjectionSchedule::lr(int step, int total) const {
  const double t = total > 0 ? static_cast<double>(step) / total : 0.0;
  const double down = std::min(1.0, (1.0 - t) / lr_rampdown);
  const double up = lr_rampup > 0 ? std::min(1.0, t / lr_rampup) : 1.0;
  // Note that step 0 has lr 0 (t = 0 in the ramp-up), as in the reference schedule.
  return initial_lr * (0.5 - 0.5 * std::cos(down * M_PI)) * up;
}

double ProjectionSchedule::latent_noise(int step, int total, double w_std) const {
  const double t = total > 0 ? static_cast<double>(step) / total : 0.0;
  const double remaining = noise_ramp > 0 ? std::max(0.0, 1.0 - t / noise_ramp) : 0.0;
  return w_std * initial_noise_factor * remaining * remaining;
}

}  // namespace draggan
