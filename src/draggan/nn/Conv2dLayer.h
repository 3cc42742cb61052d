// Equalised-lr convolution with optional FIR up/down-sampling (official Conv2dLayer): the resnet skip branches
// of the generator and every discriminator layer.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "draggan/nn/BiasAct.h"

namespace draggan {

struct Conv2dLayerOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t kernel_size = 3;
  bool bias = true;
  Activation activation = Activation::Linear;
  int up = 1;
  int down = 1;
  std::vector<float> resample_filter{1, 3, 3, 1};
  std::optional<double> conv_clamp;
  bool trainable = true;  // false: weight/bias are buffers (frozen discriminator layers)
};

class Conv2dLayerImpl : public torch::nn::Module {
 public:
  explicit Conv2dLayerImpl(const Conv2dLayerOptions& options);
  // gain multiplies the activation gain and the clamp, as in the official layer.
  torch::Tensor forward(const torch::Tensor& x, double gain = 1.0);

  torch::Tensor resample_filter, weight, bias;

 private:
  Conv2dLayerOptions options_;
  double weight_gain_;
};
TORCH_MODULE(Conv2dLayer);

}  // namespace draggan
