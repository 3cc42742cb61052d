#include "DragCliOptions.h"

#include "draggan/core/Error.h"

namespace draggan::tools {

void DragCliOptions::add_to(CLI::App& sub, int default_max_steps) {
  default_steps_ = steps_ = default_max_steps;
  const std::string model_default = "; default: what the model records, else ";
  lr_ = sub.add_option("--lr", user_.lr, "Adam learning rate (official GUI 'Step Size')" + model_default + "0.001");
  space_option_ = sub.add_option("--space", space_, "Optimised latent: w+ or w" + model_default + "w+ (official)");
  layers_ = sub.add_option("--layers", user_.optimized_layers,
                           "How many leading ws rows are optimised" + model_default + "6 (official)");
  r1_ = sub.add_option("--r1", user_.r1, "Motion-supervision radius at 512-px scale" + model_default + "3");
  r2_ = sub.add_option("--r2", user_.r2, "Point-tracking radius at 512-px scale" + model_default + "12");
  lambda_mask_ = sub.add_option("--lambda-mask", user_.lambda_mask, "Weight of the mask term" + model_default + "20");
  reg_ = sub.add_option("--reg", user_.reg, "Weight of the latent regulariser l1(ws, w0)" + model_default + "0");
  feature_block_ = sub.add_option("--feature-block", user_.feature_block,
                                  "Supervised synthesis block (-1 = auto: 5, or res/2 on small models)" +
                                      model_default + "-1");
  stop_distance_ = sub.add_option("--stop-distance", user_.stop_distance,
                                  "Stop when every handle is this close, px (-1 = official max(2/512*h, 2))" +
                                      model_default + "-1");
  sub.add_flag("--exact-grid", user_.exact_pixel_grid, "Exact pixel grid for the motion disc (not the official linspace)");
  sub.add_option("--noise", noise_, "Noise mode: const, random or none")->capture_default_str();
  steps_option_ = sub.add_option("--steps", steps_, "Maximum number of steps" + model_default +
                                                        std::to_string(default_max_steps));
}

DragSettings DragCliOptions::resolve(const LoadedModel& model) const {
  DragSettings s = model_drag_settings(model);
  DragParams& p = s.params;
  if (lr_->count()) p.lr = user_.lr;
  if (space_option_->count()) s.space = parse_latent_space(space_);
  if (layers_->count()) p.optimized_layers = user_.optimized_layers;
  if (r1_->count()) p.r1 = user_.r1;
  if (r2_->count()) p.r2 = user_.r2;
  if (lambda_mask_->count()) p.lambda_mask = user_.lambda_mask;
  if (reg_->count()) p.reg = user_.reg;
  if (feature_block_->count()) p.feature_block = user_.feature_block;
  if (stop_distance_->count()) p.stop_distance = user_.stop_distance;
  p.exact_pixel_grid = user_.exact_pixel_grid;
  p.noise = parse_noise_mode(noise_);
  s.max_steps = max_steps(model);
  p.validate();
  return s;
}

int DragCliOptions::max_steps(const LoadedModel& model) const {
  if (steps_option_->count()) {
    if (steps_ < 0) throw InputError("--steps must be >= 0");
    return steps_;
  }
  return model.recommended_drag.max_steps.value_or(default_steps_);
}

}  // namespace draggan::tools
