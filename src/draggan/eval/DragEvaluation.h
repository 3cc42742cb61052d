// Running one evaluation drag and measuring it: did the handles reach their targets (by the engine's own
// tracking and by an independent patch tracker), how long did it take, how much of the image outside the moved
// region survived, and did the object keep its class.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "draggan/classify/ClassifierFile.h"
#include "draggan/drag/DragDefaults.h"
#include "draggan/eval/DragSet.h"
#include "draggan/io/ModelFile.h"

namespace draggan {

class PerceptualLoss;

struct PointOutcome {
  DragPoint start, target;
  DragPoint final_handle;      // the engine's tracking on the final latent
  DragPoint tracked;           // the independent tracker (PatchTracker) in the final image
  double engine_distance = 0;  // |target - final_handle|
  double tracked_distance = 0; // |target - tracked|
  double track_score = 0;      // NCC at the tracked point
};

struct ClassOutcome {
  int label = -1;
  std::string name;
  double probability = 0;
};

struct DragOutcome {
  EvalDrag drag;
  std::vector<PointOutcome> points;
  bool reached = false;          // every final handle within the stop distance (what the engine stops on)
  bool tracked_reached = false;  // every tracked point within the stop distance
  int steps = 0;                 // optimiser steps taken
  double ms = 0;                 // time in the drag's steps
  std::optional<double> psnr_outside, ssim_outside, lpips_outside;
  std::optional<ClassOutcome> class_before, class_after;
  torch::Tensor before, after;  // uint8 [H, W, C]
  torch::Tensor region;         // bool [H, W]: the moved region (the movable area of a masked drag)

  double mean_engine_distance() const;
  double mean_tracked_distance() const;
  std::optional<bool> class_kept() const;  // nullopt without a classifier
};

struct EvaluationSetup {
  DragSettings settings;  // params, latent space
  int max_steps = 200;
  double psi = 0.7;
};

class DragEvaluator {
 public:
  // `model` must outlive the evaluator. classifier / perceptual may be null (not measured).
  DragEvaluator(LoadedModel& model, EvaluationSetup setup, ImageClassifier* classifier = nullptr,
                PerceptualLoss* perceptual = nullptr);

  int height() const { return height_; }
  int width() const { return width_; }
  double stop_distance() const { return stop_distance_; }
  const EvaluationSetup& setup() const { return setup_; }

  // The start image of a seed, uint8 [H, W, C], as the drags see it.
  torch::Tensor start_image(uint32_t seed);
  DragOutcome run(const EvalDrag& drag);

 private:
  std::optional<ClassOutcome> classify(const torch::Tensor& image);

  LoadedModel& model_;
  EvaluationSetup setup_;
  ImageClassifier* classifier_;
  PerceptualLoss* perceptual_;
  torch::Device device_;
  int height_ = 0, width_ = 0;
  double stop_distance_ = 0;
};

}  // namespace draggan
