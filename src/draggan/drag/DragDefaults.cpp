#include "draggan/drag/DragDefaults.h"

namespace draggan {

DragSettings model_drag_settings(const LoadedModel& model) {
  DragSettings s;
  const RecommendedDrag& r = model.recommended_drag;
  if (model.recommended_lr) s.params.lr = *model.recommended_lr;
  if (r.space) s.space = parse_latent_space(*r.space);
  if (r.optimized_layers) s.params.optimized_layers = *r.optimized_layers;
  if (r.r1) s.params.r1 = *r.r1;
  if (r.r2) s.params.r2 = *r.r2;
  if (r.stop_distance) s.params.stop_distance = *r.stop_distance;
  if (r.feature_block) s.params.feature_block = *r.feature_block;
  if (r.reg) s.params.reg = *r.reg;
  if (r.lambda_mask) s.params.lambda_mask = *r.lambda_mask;
  s.max_steps = r.max_steps;
  return s;
}

RecommendedDrag recommended_drag_of(const DragSettings& settings) {
  const DragParams official;
  const DragParams& p = settings.params;
  RecommendedDrag r;
  if (settings.space != LatentSpace::WPlus) r.space = to_string(settings.space);
  if (p.optimized_layers != official.optimized_layers) r.optimized_layers = p.optimized_layers;
  if (p.r1 != official.r1) r.r1 = p.r1;
  if (p.r2 != official.r2) r.r2 = p.r2;
  if (p.stop_distance != official.stop_distance) r.stop_distance = p.stop_distance;
  if (p.feature_block != official.feature_block) r.feature_block = p.feature_block;
  if (p.reg != official.reg) r.reg = p.reg;
  if (p.lambda_mask != official.lambda_mask) r.lambda_mask = p.lambda_mask;
  r.max_steps = settings.max_steps;
  return r;
}

}  // namespace draggan
