#include "draggan/model/GeneratorModel.h"

namespace draggan {

FeatureCanvas GeneratorModel::feature_canvas() const {
  const ImageShape shape = image_shape();
  return {shape.height, shape.width, 0, 0};
}

torch::Device GeneratorModel::device() {
  for (const auto& p : module().parameters()) return p.device();
  for (const auto& b : module().buffers()) return b.device();
  return torch::kCPU;
}

int64_t GeneratorModel::parameter_count() {
  int64_t n = 0;
  for (const auto& p : module().parameters()) n += p.numel();
  return n;
}

torch::Tensor GeneratorModel::coarse_image(const torch::Tensor& ws, int height, NoiseMode noise) {
  const torch::Tensor image = synthesize(ws, noise);
  if (height == image.size(2)) return image;
  const int64_t width = std::max<int64_t>(1, image.size(3) * height / image.size(2));
  return torch::adaptive_avg_pool2d(image, {height, width});
}

std::vector<torch::Tensor> GeneratorModel::tuning_parameters(int /*min_height*/) {
  std::vector<torch::Tensor> params;
  for (auto& p : module().named_parameters(/*recurse=*/true))
    if (p.key().rfind("mapping.", 0) != 0) params.push_back(p.value());
  return params;
}

}  // namespace draggan
