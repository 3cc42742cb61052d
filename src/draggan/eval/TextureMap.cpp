#include "draggan/eval/TextureMap.h"

#include "draggan/core/Error.h"

namespace draggan {

torch::Tensor texture_energy(const torch::Tensor& image) {
  if (!image.defined() || (image.dim() != 2 && image.dim() != 3) || image.scalar_type() != torch::kUInt8)
    throw InputError("texture_energy: expected a uint8 [H, W, C] image");
  torch::Tensor gray = image.dim() == 3 ? image.to(torch::kCPU, torch::kFloat32).mean(2) : image.to(torch::kCPU, torch::kFloat32);
  torch::Tensor x = gray.unsqueeze(0).unsqueeze(0);
  namespace F = torch::nn::functional;
  // Replicated borders: the image edge itself is not an edge.
  x = F::pad(x, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  const torch::Tensor sobel_x =
      torch::tensor({-1.f, 0.f, 1.f, -2.f, 0.f, 2.f, -1.f, 0.f, 1.f}).view({1, 1, 3, 3}) / 8.0;
  const torch::Tensor sobel_y = sobel_x.transpose(2, 3).contiguous();
  torch::Tensor energy = torch::conv2d(x, sobel_x).square() + torch::conv2d(x, sobel_y).square();
  energy = F::pad(energy, F::PadFuncOptions({1, 1, 1, 1}).mode(torch::kReplicate));
  return torch::avg_pool2d(energy, 3, 1)[0][0];
}

}  // namespace draggan
