// The discriminator's 4x4 head (official DiscriminatorEpilogue, "b4"): [fromrgb,] minibatch stddev, conv, fc,
// out -> one logit per image.
#pragma once
#include <torch/torch.h>

#include "draggan/nn/Conv2dLayer.h"
#include "draggan/nn/DiscriminatorConfig.h"
#include "draggan/nn/FullyConnectedLayer.h"

namespace draggan {

class DiscriminatorEpilogueImpl : public torch::nn::Module {
 public:
  DiscriminatorEpilogueImpl(const DiscriminatorConfig& config, int64_t in_channels);

  // x [N, C, 4, 4], img (skip architecture only) -> logits [N, 1]. `fc_out` (if given) receives the fc features.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& img, torch::Tensor* fc_out = nullptr);

  Conv2dLayer fromrgb{nullptr}, conv{nullptr};
  FullyConnectedLayer fc{nullptr}, out{nullptr};

 private:
  DiscriminatorConfig config_;
};
TORCH_MODULE(DiscriminatorEpilogue);

}  // namespace draggan
