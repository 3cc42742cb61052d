// How a long inversion talks to whoever started it (the CLI's progress bar, the editor's upload job): a
// callback after every optimiser step and a flag the caller may raise from another thread to stop early.
#pragma once
#include <torch/torch.h>

#include <atomic>
#include <functional>
#include <string>

namespace draggan {

enum class InversionStage { Projection, PivotalTuning };
std::string to_string(InversionStage stage);  // "projection" | "pti"

struct InversionProgress {
  InversionStage stage = InversionStage::Projection;
  int step = 0;         // steps finished in this stage, 1..total
  int total = 0;        // steps planned for this stage
  double loss = 0.0;    // the total loss of this step
  double mse = 0.0;     // pixel MSE of this step's image against the target, [-1, 1] units
  // uint8 [H, W, C] of the current reconstruction, only on steps where a preview was asked for
  // (InversionCallbacks::preview_every); undefined otherwise.
  torch::Tensor preview;
};

struct InversionCallbacks {
  // Called on the optimising thread after each step; keep it cheap (the server copies what it needs).
  std::function<void(const InversionProgress&)> on_step;
  // Render InversionProgress::preview every this many steps (and on the last step); 0 = never.
  int preview_every = 0;
  // Checked before every step: when it becomes true, the stage stops and returns what it has so far,
  // marked cancelled. Owned by the caller; may be null.
  const std::atomic<bool>* cancel = nullptr;

  bool cancelled() const { return cancel != nullptr && cancel->load(std::memory_order_relaxed); }
  bool wants_preview(int step, int total) const {
    return preview_every > 0 && (step % preview_every == 0 || step == total);
  }
  // Calls on_step (if set) for finished step `step` of `total`; `image` [1, C, H, W] in [-1, 1] becomes the
  // preview on the steps that want one.
  void report(InversionStage stage, int step, int total, double loss, double mse, const torch::Tensor& image) const;
};

}  // namespace draggan
