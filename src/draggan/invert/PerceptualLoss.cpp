#include "draggan/invert/PerceptualLoss.h"

namespace draggan {

torch::Tensor downsample_for_perceptual(const torch::Tensor& image, int64_t max_size) {
  if (image.size(2) <= max_size && image.size(3) <= max_size) return image;
  // F.interpolate(mode='area') is adaptive average pooling.
  return torch::adaptive_avg_pool2d(image, {max_size, max_size});
}

torch::Tensor unit_normalize_channels(const torch::Tensor& x, double eps) {
  return x / (x.square().sum(1, true).sqrt() + eps);
}

}  // namespace draggan
