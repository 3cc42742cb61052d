// The StyleGAN3 generator (NVIDIA stylegan3 / DragGAN networks_stylegan3): mapping + synthesis, parameters and
// buffers under the checkpoint names ("mapping.fc0.weight", "synthesis.input.freqs",
// "synthesis.L3_52_512.down_filter", ...), so loading a snapshot is a name-to-name copy with shape checks.
#pragma once
#include <torch/torch.h>

#include "draggan/nn/MappingNetwork.h"
#include "draggan/nn/stylegan3/StyleGAN3Config.h"
#include "draggan/nn/stylegan3/SynthesisNetwork.h"

namespace draggan::stylegan3 {

class GeneratorImpl : public torch::nn::Module {
 public:
  explicit GeneratorImpl(const StyleGAN3Config& config);

  const StyleGAN3Config& config() const { return config_; }
  SynthesisNetwork synthesis{nullptr};
  MappingNetwork mapping{nullptr};

 private:
  StyleGAN3Config config_;
};
TORCH_MODULE(Generator);

}  // namespace draggan::stylegan3
