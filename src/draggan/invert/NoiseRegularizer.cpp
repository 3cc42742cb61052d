#include "draggan/invert/NoiseRegularizer.h"

namespace draggan {

std::vector<torch::Tensor> noise_buffers(GeneratorModel& generator) {
  std::vector<torch::Tensor> maps;
  for (const auto& b : generator.module().named_buffers(/*recurse=*/true)) {
    const std::string& name = b.key();
    if (name.size() >= 11 && name.compare(name.size() - 11, 11, "noise_const") == 0) maps.push_back(b.value());
  }
  return maps;
}

torch::Tensor noise_regularization(const std::vector<torch::Tensor>& noise_maps) {
  torch::Tensor total;
  for (const torch::Tensor& map : noise_maps) {
    torch::Tensor n = map.view({1, 1, map.size(0), map.size(1)});
    while (true) {
      const torch::Tensor term = (n * torch::roll(n, 1, 3)).mean().square() + (n * torch::roll(n, 1, 2)).mean().square();
      total = total.defined() ? total + term : term;
      if (n.size(2) <= 8) break;
      n = torch::avg_pool2d(n, 2);
    }
  }
  return total.defined() ? total : torch::zeros({});
}

void normalize_noise_(const std::vector<torch::Tensor>& noise_maps) {
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& map : noise_maps) {
    map.sub_(map.mean());
    map.mul_(map.square().mean().rsqrt());
  }
}

}  // namespace draggan
