#include "draggan/invert/InversionChoices.h"

#include "draggan/core/Error.h"
#include "draggan/invert/PerceptualLossChoice.h"
#include "draggan/invert/Projector.h"
#include "draggan/io/ImageResize.h"

namespace draggan {

PivotalTuningOptions tuning_options_from(const InversionChoices& c, InversionSchedule schedule, int image_height) {
  PivotalTuningOptions pti =
      schedule == InversionSchedule::Fast ? fast_tuning_options(image_height) : PivotalTuningOptions{};
  if (c.pti_steps) pti.steps = *c.pti_steps;
  if (c.pti_lr) pti.lr = *c.pti_lr;
  pti.seed = static_cast<uint64_t>(c.seed);
  return pti;
}

InversionOptions inversion_options_from(const InversionChoices& c, int image_height, const ChoiceSpelling& spell) {
  if (c.seed < 0) throw InputError(spell("seed") + " must be >= 0");
  InversionOptions o;
  o.schedule = parse_inversion_schedule(c.schedule);
  o.projection.space = parse_projection_space(c.space);
  o.projection.optimize_noise = c.optimize_noise;
  o.projection.seed = static_cast<uint64_t>(c.seed);
  o.fast.seed = static_cast<uint64_t>(c.seed);
  if (o.schedule == InversionSchedule::Full) {
    if (c.steps) o.projection.steps = *c.steps;
    if (c.lr) o.projection.schedule.initial_lr = *c.lr;
  } else {
    if (c.optimize_noise) throw InputError(spell("optimize_noise") + " needs " + spell("schedule=full"));
    if (c.steps) o.fast.set_total_steps(*c.steps);
    if (c.lr) o.fast.schedule.initial_lr = *c.lr;
  }
  o.fast.validate();
  o.pti = tuning_options_from(c, o.schedule, image_height);
  o.perceptual = parse_perceptual_choice(c.perceptual);
  o.perceptual_files = {c.vgg, c.lpips};
  o.fit = parse_fit_mode(c.fit);
  o.projection.validate();
  o.pti.validate();
  return o;
}

}  // namespace draggan
