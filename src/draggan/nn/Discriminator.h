// StyleGAN2 discriminator (official networks_stylegan2.Discriminator), parameters registered under the checkpoint
// names ("b64.fromrgb.weight", "b64.skip.weight", "b4.conv.weight", "b4.fc.weight", "b4.out.bias", ...).
// Besides the logits it can return every block's output, which makes a trained D a perceptual feature
// extractor for its own image domain.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/nn/DiscriminatorBlock.h"
#include "draggan/nn/DiscriminatorConfig.h"
#include "draggan/nn/DiscriminatorEpilogue.h"

namespace draggan {

struct DiscriminatorResult {
  torch::Tensor logits;                 // [N, 1]
  std::vector<torch::Tensor> features;  // with keep_features: block outputs b{R}: [N, C, R/2, R/2], then fc [N, C]
};

class DiscriminatorImpl : public torch::nn::Module {
 public:
  explicit DiscriminatorImpl(const DiscriminatorConfig& config);

  // img [N, img_channels, R, R] (StyleGAN-Human: [N, C, R, R/2]) in [-1, 1] -> logits [N, 1] (real > 0).
  torch::Tensor forward(const torch::Tensor& img);
  DiscriminatorResult run(const torch::Tensor& img, bool keep_features);

  const DiscriminatorConfig& config() const { return config_; }
  std::vector<DiscriminatorBlock> blocks;  // registered as b{R}, highest resolution first
  DiscriminatorEpilogue b4{nullptr};

 private:
  DiscriminatorConfig config_;
};
TORCH_MODULE(Discriminator);

}  // namespace draggan
