#include "draggan/invert/PerceptualLoss.h"

#include <algorithm>

namespace draggan {

torch::Tensor downsample_for_perceptual(const torch::Tensor& image, int64_t max_size) {
  const int64_t h = image.size(2), w = image.size(3);
  if (h <= max_size && w <= max_size) return image;
  // F.interpolate(mode='area') is adaptive average pooling. The official projector pools to 256 x 256; a 2:1 image
  // (StyleGAN-Human) keeps its aspect ratio instead, the longer side at max_size.
  const int64_t longer = std::max(h, w);
  return torch::adaptive_avg_pool2d(image, {std::max<int64_t>(h * max_size / longer, 1),
                                            std::max<int64_t>(w * max_size / longer, 1)});
}

torch::Tensor unit_normalize_channels(const torch::Tensor& x, double eps) {
  return x / (x.square().sum(1, true).sqrt() + eps);
}

}  // namespace draggan
