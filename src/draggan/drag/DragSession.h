// One drag: a generator, a start latent, handle/target pairs and an optional mask, optimised step by step the
// way the official DragGAN loop does it (viz/renderer.py `_render_drag_impl`, one call = one step()).
//
// Coordinates: pixels of the generated image (height x width, not necessarily square), x = column, y = row,
// origin at the top-left pixel's centre (so pixel (x, y) covers [x-0.5, x+0.5]). The official code stores
// points as [row, col]; this API uses {x, y} and converts internally. Handles are whole pixels (rounded when
// set), as the official tracking returns; targets may be fractional. Internally the drag runs on the generator's
// feature canvas (GeneratorModel::feature_canvas), which for StyleGAN-Human is the official padded square: the
// trajectories are the official ones shifted by the canvas offset.
//
// Mask: float [H, W] at the image size in the official renderer's convention: 1 = keep this region fixed (its
// features are pinned to the start features), 0 = free to move; the canvas outside the image counts as fixed.
// The mask term is active only when the mask contains both 0 and 1, as in the official code.
//
// Not thread-safe: one caller at a time (the server serialises calls per session). No globals.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "draggan/drag/DragParams.h"
#include "draggan/drag/DragState.h"
#include "draggan/model/FeatureWindow.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

struct DragPoint {
  double x = 0.0;  // column
  double y = 0.0;  // row
};

struct DragPair {
  DragPoint handle;
  DragPoint target;
};

struct DragStepReport {
  int step = 0;                    // index of this step: optimiser steps taken before it
  std::vector<DragPoint> handles;  // handles after this step's tracking (what this step supervised)
  std::vector<double> distances;   // |target - handle| per pair, pixels
  double loss = 0.0;               // the total loss (motion + lambda_mask * mask + reg * l1(ws, w0))
  bool done = false;               // every handle within the stop distance: no backward, no optimiser step
  double ms = 0.0;                 // wall time of this step
};

// Start latents. Both return ws [1, num_ws, w_dim] float32 on the generator's device.
// z = NumPy RandomState(seed).randn(1, z_dim) (as the official renderer), mapped with truncation psi.
torch::Tensor latent_from_seed(GeneratorModel& generator, uint32_t seed, double psi = 0.7);
// A saved latent (.npy): [1, num_ws, w_dim], [num_ws, w_dim], [1, w_dim] / [w_dim] (a W vector, broadcast to
// every layer) or [1, 1, w_dim]. InputError naming the file on any other shape or on NaN/infinity.
torch::Tensor latent_from_npy(const std::string& path, const LatentLayout& layout, torch::Device device);

class DragSession {
 public:
  // ws0: the start latent [1, num_ws, w_dim]. In LatentSpace::W the optimised vector starts at ws0[:, 0].
  DragSession(GeneratorPtr generator, const torch::Tensor& ws0, DragParams params = {},
              LatentSpace space = LatentSpace::WPlus);

  // One official iteration: forward (stopped at the supervised block) -> (first step: reference features)
  // -> point tracking -> motion (+ mask, + reg) loss -> if not done: backward and Adam step.
  // Handles are replaced by their tracked positions. InputError when there are no pairs.
  DragStepReport step();

  // --- Points: pixel coordinates inside the image, or on the canvas around it where the canvas is larger
  // (StyleGAN-Human's padding: tracking may move a handle there); InputError otherwise. Handles are rounded
  // to whole pixels.
  // set_handle retakes that handle's reference feature at the next step, from the latent current then. Adding or
  // removing pairs retakes every reference and the mask's start features, as the official renderer does when the
  // number of points changes. Moving a target retakes nothing. Indices are 0-based; InputError if invalid.
  int add_pair(DragPoint handle, DragPoint target);  // returns its index
  void remove_pair(int index);
  void clear_pairs();
  void set_pairs(const std::vector<DragPair>& pairs);
  void set_handle(int index, DragPoint handle);
  void set_target(int index, DragPoint target);
  const std::vector<DragPair>& pairs() const { return pairs_; }

  // --- Mask: float/bool/uint8 [H, W] (or [1, 1, H, W]) of 0/1 at the image size, 1 = keep fixed.
  void set_mask(const torch::Tensor& mask);
  void clear_mask();
  bool has_mask() const { return mask_.defined(); }

  // --- Parameters. A new lr adjusts the optimiser in place (its moments are kept); a new feature block,
  // radius or noise mode takes effect at the next step (a new feature block retakes the references).
  void set_params(const DragParams& params);
  const DragParams& params() const { return params_; }
  const ResolvedDragParams& resolved() const { return resolved_; }
  LatentSpace latent_space() const { return space_; }

  // Back to the start latent with a fresh optimiser; handles go back to where they were when last set
  // (before tracking moved them); references are taken again at the next step.
  void reset();
  // Start again from a different latent (e.g. after the user picks another seed); pairs are kept.
  void set_start_latent(const torch::Tensor& ws0);

  // --- Outputs.
  // The ws the synthesis network gets now: [1, num_ws, w_dim] (detached copy).
  torch::Tensor ws() const;
  const torch::Tensor& start_ws() const { return ws0_; }
  // Full-resolution image of the current latent, float [1, C, H, W] in about [-1, 1] (one full forward, no grad).
  torch::Tensor image();
  // The same as uint8 [H, W, C] with the official conversion (x * 127.5 + 128, clamp, truncate).
  torch::Tensor image_uint8();
  // A cheap preview: the low-resolution image the last step's forward made on the way (StyleGAN2's skip
  // architecture; from before that step's optimiser update), resized to the image. Falls back to image() when
  // there is none (no step yet, or a family without one).
  torch::Tensor preview();

  int steps_taken() const { return steps_taken_; }

  // --- Resuming elsewhere (DragState.h). state() is a copy (CPU or device tensors as they are); restore() takes
  // one from a session built with the same generator, params, latent space and mask, and the next step() is the
  // one the original would have taken, bit for bit. InputError when the state does not fit this session.
  DragState state() const;
  void restore(const DragState& state);
  ImageShape image_shape() const { return shape_; }
  GeneratorModel& generator() { return *generator_; }
  const GeneratorPtr& generator_ptr() const { return generator_; }

 private:
  torch::Tensor synthesis_ws() const;
  void rebuild_optimizer();
  void check_point(const DragPoint& p, const char* what) const;
  void check_index(int index) const;
  void forget_references();
  // The supervised features a step reads, one window per pair (pairs may share one), with autograd.
  std::vector<FeatureWindow> supervised_windows(const torch::Tensor& ws);
  std::vector<PixelBox> pair_boxes() const;
  torch::Tensor start_features_resized();
  // Image pixel <-> canvas pixel (whole pixels; the canvas offset is whole).
  int64_t canvas_row(double y) const { return static_cast<int64_t>(y) + resolved_.canvas.image_top; }
  int64_t canvas_col(double x) const { return static_cast<int64_t>(x) + resolved_.canvas.image_left; }

  GeneratorPtr generator_;
  ImageShape shape_;
  DragParams params_;
  ResolvedDragParams resolved_;
  LatentSpace space_;
  torch::Device device_;

  torch::Tensor ws0_;     // [1, num_ws, w_dim] start latent
  torch::Tensor w_opt_;   // optimised leaf: [1, L, w_dim] (W+) or [1, w_dim] (W)
  std::unique_ptr<torch::optim::Adam> optimizer_;

  std::vector<DragPair> pairs_;
  std::vector<DragPoint> handles_as_set_;        // for reset()
  std::vector<torch::Tensor> feature_refs_;      // per pair: [C] (undefined = take at next step)
  torch::Tensor feat0_ws_;  // ws of the pass that took the references: the mask's start features come from it
  torch::Tensor feat0_resized_;                  // the same resized to the image, made when a mask needs it
  torch::Tensor mask_;                           // [1, 1, canvas h, canvas w] float, 1 = fixed
  bool mask_active_ = false;                     // holds both 0 and 1 (the official condition)
  torch::Tensor cached_image_;                   // image() of the current latent, until the next update
  torch::Tensor last_partial_image_;
  int steps_taken_ = 0;
};

}  // namespace draggan
