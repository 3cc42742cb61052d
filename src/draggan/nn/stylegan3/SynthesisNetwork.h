// StyleGAN3 synthesis: the Fourier input (w[0]) and the layers L0 .. L{num_layers} (w[1..]), registered under
// the checkpoint names ("input", "L0_36_512", ..., "L14_256_3"); the last layer is ToRGB, scaled by
// output_scale into the image.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/nn/stylegan3/StyleGAN3Config.h"
#include "draggan/nn/stylegan3/SynthesisInput.h"
#include "draggan/nn/stylegan3/SynthesisLayer.h"

namespace draggan::stylegan3 {

struct SynthesisPass {
  torch::Tensor image;                 // [N, C, H, W]; undefined when the pass stopped early
  std::vector<torch::Tensor> features;  // layer outputs with their margins (the official feat[i]), if kept
};

class SynthesisNetworkImpl : public torch::nn::Module {
 public:
  explicit SynthesisNetworkImpl(const StyleGAN3Config& config);

  // ws [N, num_ws, w_dim]. stop_after_layer >= 0 ends the pass after that layer (no image; features then ends
  // with that layer's output). keep_features keeps every layer's output (the official return_feature list).
  SynthesisPass forward(const torch::Tensor& ws, int stop_after_layer = -1, bool keep_features = false,
                        bool official_arithmetic = false);

  int num_ws() const { return config_.num_ws(); }
  const StyleGAN3Config& config() const { return config_; }

  SynthesisInput input{nullptr};
  std::vector<SynthesisLayer> layers;

 private:
  StyleGAN3Config config_;
};
TORCH_MODULE(SynthesisNetwork);

}  // namespace draggan::stylegan3
