#include "draggan/eval/DragEvaluation.h"

#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/classify/ClassifierTraining.h"
#include "draggan/eval/PatchTracker.h"
#include "draggan/eval/RegionMetrics.h"

namespace draggan {
namespace {

double distance(const DragPoint& a, const DragPoint& b) { return std::hypot(a.x - b.x, a.y - b.y); }

torch::Tensor nchw(const torch::Tensor& hwc_uint8) {
  return uint8_to_unit_range(hwc_uint8.permute({2, 0, 1}).unsqueeze(0));
}

}  // namespace

double DragOutcome::mean_engine_distance() const {
  double sum = 0;
  for (const auto& p : points) sum += p.engine_distance;
  return points.empty() ? 0.0 : sum / static_cast<double>(points.size());
}

double DragOutcome::mean_tracked_distance() const {
  double sum = 0;
  for (const auto& p : points) sum += p.tracked_distance;
  return points.empty() ? 0.0 : sum / static_cast<double>(points.size());
}

std::optional<bool> DragOutcome::class_kept() const {
  if (!class_before || !class_after) return std::nullopt;
  return class_before->label == class_after->label;
}

DragEvaluator::DragEvaluator(LoadedModel& model, EvaluationSetup setup, ImageClassifier* classifier,
                             PerceptualLoss* perceptual)
    : model_(model),
      setup_(std::move(setup)),
      classifier_(classifier),
      perceptual_(perceptual),
      device_(model.generator->device()) {
  if (setup_.max_steps < 1) throw InputError("eval: the step limit must be >= 1");
  const ResolvedDragParams resolved = resolve_drag_params(setup_.settings.params, *model_.generator);
  const ImageShape shape = model_.generator->image_shape();
  height_ = shape.height;
  width_ = shape.width;
  stop_distance_ = resolved.stop_distance;
}

torch::Tensor DragEvaluator::start_image(uint32_t seed) {
  DragSession session(model_.generator, latent_from_seed(*model_.generator, seed, setup_.psi), setup_.settings.params,
                      setup_.settings.space);
  return session.image_uint8();
}

std::optional<ClassOutcome> DragEvaluator::classify(const torch::Tensor& image) {
  if (!classifier_) return std::nullopt;
  const ClassPrediction p = predict_classes(*classifier_, nchw(image));
  ClassOutcome c;
  c.label = static_cast<int>(p.label[0].item<int64_t>());
  c.probability = p.probability[0].item<double>();
  c.name = (*classifier_)->config().classes.at(static_cast<size_t>(c.label));
  return c;
}

DragOutcome DragEvaluator::run(const EvalDrag& drag) {
  DragOutcome out;
  out.drag = drag;
  DragSession session(model_.generator, latent_from_seed(*model_.generator, drag.image_seed, setup_.psi),
                      setup_.settings.params, setup_.settings.space);
  session.set_pairs(drag.pairs);
  out.region = moved_region(drag.pairs, height_, width_, drag.region_radius);
  // Official convention: 1 = keep fixed; the movable area is the moved region.
  if (drag.masked) session.set_mask(out.region.logical_not().to(torch::kFloat32));
  out.before = session.image_uint8();

  // Step until the engine says every handle arrived or the step limit is spent. The handles of the final image
  // come from one more tracking pass on it (a step's report tracks the latent before that step's update).
  DragStepReport report;
  for (;;) {
    const bool last = session.steps_taken() >= setup_.max_steps;
    if (last) out.after = session.image_uint8();
    report = session.step();
    out.ms += report.ms;
    if (report.done && !last) out.after = session.image_uint8();
    if (report.done || last) break;
  }
  out.steps = session.steps_taken() - (report.done ? 0 : 1);  // the last pass's update is not part of the drag
  out.reached = report.done;

  double longest = 0;
  for (const DragPair& p : drag.pairs) longest = std::max(longest, distance(p.handle, p.target));
  const PatchTrackOptions track = patch_track_options(height_, width_, longest);
  out.tracked_reached = true;
  for (size_t j = 0; j < drag.pairs.size(); ++j) {
    PointOutcome p;
    p.start = drag.pairs[j].handle;
    p.target = drag.pairs[j].target;
    p.final_handle = report.handles[j];
    p.engine_distance = report.distances[j];
    const PatchTrack t = track_patch(out.before, out.after, p.start, track);
    p.tracked = t.point;
    p.track_score = t.score;
    p.tracked_distance = distance(t.point, p.target);
    if (p.tracked_distance > stop_distance_) out.tracked_reached = false;
    out.points.push_back(p);
  }

  out.psnr_outside = psnr_outside(out.before, out.after, out.region);
  out.ssim_outside = ssim_outside(out.before, out.after, out.region);
  if (perceptual_) out.lpips_outside = perceptual_distance_outside(*perceptual_, out.before, out.after, out.region, device_);
  out.class_before = classify(out.before);
  out.class_after = classify(out.after);
  return out;
}

}  // namespace draggan
