// 1x1 modulated convolution to image channels without demodulation (official ToRGBLayer).
#pragma once
#include <torch/torch.h>

#include <optional>

#include "draggan/nn/FullyConnectedLayer.h"

namespace draggan {

struct ToRGBOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 3;
  int64_t w_dim = 0;
  int64_t kernel_size = 1;
  std::optional<double> conv_clamp;
};

class ToRGBLayerImpl : public torch::nn::Module {
 public:
  explicit ToRGBLayerImpl(const ToRGBOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, bool fused_modconv = false);  // -> [N, out_channels, H, W]

  double weight_gain() const { return weight_gain_; }
  const std::optional<double>& conv_clamp() const { return options_.conv_clamp; }

  FullyConnectedLayer affine{nullptr};
  torch::Tensor weight, bias;

 private:
  ToRGBOptions options_;
  double weight_gain_;
};
TORCH_MODULE(ToRGBLayer);

}  // namespace draggan
