// StyleGAN3's Fourier-feature input: `channels` sinusoids of fixed random frequencies (buffer "freqs") and
// phases, rotated and translated by an affine function of w[0], sampled on a size x size grid that includes the
// margin, then mixed by a learned channel matrix. Checkpoint names: weight, affine.*, transform, freqs, phases.
#pragma once
#include <torch/torch.h>

#include "draggan/nn/FullyConnectedLayer.h"

namespace draggan::stylegan3 {

struct SynthesisInputOptions {
  int w_dim = 0;
  int channels = 0;
  int size = 0;
  double sampling_rate = 0;
  double bandwidth = 0;
};

class SynthesisInputImpl : public torch::nn::Module {
 public:
  explicit SynthesisInputImpl(const SynthesisInputOptions& options);
  torch::Tensor forward(const torch::Tensor& w);  // w [N, w_dim] -> [N, channels, size, size]

  const SynthesisInputOptions& options() const { return options_; }

  torch::Tensor weight;         // [channels, channels]
  FullyConnectedLayer affine{nullptr};  // w -> (r_c, r_s, t_x, t_y)
  torch::Tensor transform;      // [3, 3] user inverse transform of the image; the renderer sets the identity
  torch::Tensor freqs;          // [channels, 2]
  torch::Tensor phases;         // [channels]

 private:
  SynthesisInputOptions options_;
};
TORCH_MODULE(SynthesisInput);

}  // namespace draggan::stylegan3
