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

}  // namespace draggan
