// StyleGAN2 generator (NVIDIA stylegan2-ada-pytorch / DragGAN networks_stylegan2), parameters registered under
// the checkpoint names ("mapping.fc0.weight", "synthesis.b8.conv0.affine.bias", ...).
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/nn/MappingNetwork.h"
#include "draggan/nn/stylegan2/GeneratorConfig.h"
#include "draggan/nn/stylegan2/SynthesisNetwork.h"

namespace draggan {

class GeneratorImpl : public torch::nn::Module {
 public:
  explicit GeneratorImpl(const GeneratorConfig& config);

  // z [N, z_dim], c [N, c_dim] (undefined when c_dim == 0) -> ws [N, num_ws, w_dim].
  // Truncation: ws[:, :cutoff] = w_avg.lerp(ws[:, :cutoff], psi); cutoff < 0 means all layers.
  torch::Tensor map(const torch::Tensor& z, const torch::Tensor& c = {}, double psi = 1.0, int cutoff = -1);

  // ws [N, num_ws, w_dim] -> image and/or block features; see SynthesisRequest.
  SynthesisResult synthesize(const torch::Tensor& ws, const SynthesisRequest& request = {});

  // z -> image [N, img_channels, H, W] in [-1, 1] (not clamped).
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& c = {}, double psi = 1.0,
                        NoiseMode noise = NoiseMode::Const);

  const GeneratorConfig& config() const { return config_; }
  MappingNetwork mapping{nullptr};
  SynthesisNetwork synthesis{nullptr};

 private:
  GeneratorConfig config_;
};
TORCH_MODULE(Generator);

}  // namespace draggan
