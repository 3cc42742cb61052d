// ws [N, num_ws, w_dim] -> image, through blocks b4, b8, ..., b<img_resolution> (official SynthesisNetwork).
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/nn/stylegan2/GeneratorConfig.h"
#include "draggan/nn/stylegan2/SynthesisBlock.h"
#include "draggan/nn/stylegan2/SynthesisRequest.h"

namespace draggan {

class SynthesisNetworkImpl : public torch::nn::Module {
 public:
  explicit SynthesisNetworkImpl(const GeneratorConfig& config);

  SynthesisResult forward(const torch::Tensor& ws, const SynthesisRequest& request = {});

  int num_ws() const { return num_ws_; }
  // First w index each block reads (a block reads num_conv + num_torgb consecutive ws from there).
  const std::vector<int>& block_w_offsets() const { return w_offsets_; }

  std::vector<SynthesisBlock> blocks;  // registered as b4, b8, ...

 private:
  int w_dim_;
  int num_ws_ = 0;
  std::vector<int> w_offsets_;
};
TORCH_MODULE(SynthesisNetwork);

}  // namespace draggan
