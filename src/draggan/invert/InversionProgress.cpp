#include "draggan/invert/InversionProgress.h"

#include "draggan/io/Image.h"

namespace draggan {

void InversionCallbacks::report(InversionStage stage, int step, int total, double loss, double mse,
                                const torch::Tensor& image) const {
  if (!on_step) return;
  InversionProgress progress;
  progress.stage = stage;
  progress.step = step;
  progress.total = total;
  progress.loss = loss;
  progress.mse = mse;
  if (wants_preview(step, total)) progress.preview = image_to_uint8(image.detach());
  on_step(progress);
}

std::string to_string(InversionStage stage) {
  return stage == InversionStage::Projection ? "projection" : "pti";
}

}  // namespace draggan
