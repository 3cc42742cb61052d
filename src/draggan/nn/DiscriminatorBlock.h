// One resolution of the discriminator (official DiscriminatorBlock): [fromrgb,] conv0, conv1 (down 2) and, for
// the resnet architecture, a 1x1 down-sampling skip; the two branches are summed with gain sqrt(0.5) each.
#pragma once
#include <torch/torch.h>

#include <utility>

#include "draggan/nn/Conv2dLayer.h"
#include "draggan/nn/DiscriminatorConfig.h"

namespace draggan {

class DiscriminatorBlockImpl : public torch::nn::Module {
 public:
  // in_channels 0 = the first block (it reads the image). first_layer_idx counts layers for freeze_layers.
  DiscriminatorBlockImpl(const DiscriminatorConfig& config, int64_t in_channels, int64_t tmp_channels,
                         int64_t out_channels, int resolution, int first_layer_idx);

  // x [N, in, R, R] (undefined for the first block), img [N, img_channels, R, R] (skip architecture / first
  // block) -> x [N, out, R/2, R/2] and the down-sampled image (skip architecture only, else undefined).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& img);

  int num_layers() const { return num_layers_; }

  torch::Tensor resample_filter;
  Conv2dLayer fromrgb{nullptr}, conv0{nullptr}, conv1{nullptr}, skip{nullptr};

 private:
  int64_t in_channels_;
  std::string architecture_;
  int num_layers_ = 0;
};
TORCH_MODULE(DiscriminatorBlock);

}  // namespace draggan
