// A perceptual distance that needs no download: the block features of the checkpoint's own discriminator. D was
// trained to tell this domain's images apart, so its features respond to what matters in them. Compared like
// LPIPS without learned weights: unit-normalised over channels, squared differences summed over channels,
// averaged over space, summed over blocks.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "draggan/core/StateDict.h"
#include "draggan/invert/PerceptualLoss.h"
#include "draggan/nn/Discriminator.h"

namespace draggan {

class DiscriminatorFeatureLoss : public PerceptualLoss {
 public:
  // weights: D's state dict (LoadedModel::discriminator); config: its JSON (ours or NVIDIA's init kwargs).
  // CheckpointError naming `origin` when they do not describe a discriminator we can build.
  DiscriminatorFeatureLoss(const StateDict& weights, const nlohmann::json& config, torch::Device device,
                           const std::string& origin);

  std::string name() const override { return "discriminator"; }
  // image at D's resolution (the generator's): the outputs of every block from b<R> down to b8.
  std::vector<torch::Tensor> features(const torch::Tensor& image) override;
  torch::Tensor distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) override;
  using PerceptualLoss::distance;

 private:
  Discriminator discriminator_{nullptr};
};

}  // namespace draggan
