#include "draggan/drag/DragMask.h"

#include <string>

#include "draggan/core/Error.h"

namespace draggan {

torch::Tensor prepare_drag_mask(const torch::Tensor& mask_in, int height, int width) {
  if (!mask_in.defined()) throw InputError("mask: undefined tensor");
  torch::Tensor mask = mask_in;
  while (mask.dim() > 2 && mask.size(0) == 1) mask = mask.squeeze(0);
  if (mask.dim() != 2 || mask.size(0) != height || mask.size(1) != width)
    throw InputError("mask: expected [" + std::to_string(height) + ", " + std::to_string(width) +
                     "] (the image size), got " + c10::str(mask_in.sizes()));
  if (mask.is_complex()) throw InputError("mask: complex values");
  mask = mask.to(torch::kCPU, torch::kFloat32).contiguous();
  if (torch::isnan(mask).any().item<bool>()) throw InputError("mask: contains NaN");
  if (mask.numel() > 0 && (mask.min().item<float>() < 0.0f || mask.max().item<float>() > 1.0f))
    throw InputError("mask: values must be in [0, 1] (1 = keep fixed, 0 = may move)");
  return mask.reshape({1, 1, height, width});
}

bool mask_term_active(const torch::Tensor& mask) {
  return mask.defined() && mask.numel() > 0 && mask.min().item<float>() == 0.0f && mask.max().item<float>() == 1.0f;
}

torch::Tensor mask_from_movable_image(const torch::Tensor& image, int height, int width) {
  if (!image.defined() || (image.dim() != 2 && image.dim() != 3))
    throw InputError("mask image: expected [H, W] or [H, W, C]");
  torch::Tensor gray = image.dim() == 3 ? image.select(2, 0) : image;
  torch::Tensor movable = (gray.to(torch::kInt32) >= 128).to(torch::kFloat32);
  if (movable.size(0) != height || movable.size(1) != width)
    movable = torch::nn::functional::interpolate(
                  movable.unsqueeze(0).unsqueeze(0),
                  torch::nn::functional::InterpolateFuncOptions()
                      .size(std::vector<int64_t>{height, width})
                      .mode(torch::kNearest))
                  .squeeze(0)
                  .squeeze(0);
  return (1.0f - movable).reshape({1, 1, height, width});
}

}  // namespace draggan
