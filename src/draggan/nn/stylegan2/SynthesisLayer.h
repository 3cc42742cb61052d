// One modulated 3x3 convolution of the synthesis network (official SynthesisLayer): affine(w) -> styles,
// modulated conv (optionally 2x up), per-pixel noise, bias + lrelu with gain and clamp.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "draggan/nn/FullyConnectedLayer.h"
#include "draggan/nn/stylegan2/SynthesisRequest.h"

namespace draggan {

struct SynthesisLayerOptions {
  int64_t in_channels = 0;
  int64_t out_channels = 0;
  int64_t w_dim = 0;
  int64_t resolution = 0;  // output resolution: rows of the output map
  int64_t width = 0;       // its columns; 0 = resolution (square). StyleGAN-Human: resolution / 2
  int64_t kernel_size = 3;
  int up = 1;
  bool use_noise = true;
  std::vector<float> resample_filter{1, 3, 3, 1};
  std::optional<double> conv_clamp;
};

class SynthesisLayerImpl : public torch::nn::Module {
 public:
  explicit SynthesisLayerImpl(const SynthesisLayerOptions& options);

  // x [N, in, res/up, width/up], w [N, w_dim] -> [N, out, res, width]. gain scales the activation gain and the clamp
  // (the resnet architecture passes sqrt(0.5)).
  //
  // x may also be a window of the input map (see RegionSynthesis.h): then the output is the matching window
  // of the output map, whose top-left pixel is (origin_row, origin_col) at the output resolution, and the
  // constant noise is cut to that window.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, NoiseMode noise_mode, double gain = 1.0,
                        int64_t origin_row = 0, int64_t origin_col = 0, bool fused_modconv = false);

  torch::Tensor resample_filter, weight, bias, noise_const, noise_strength;
  FullyConnectedLayer affine{nullptr};

 private:
  SynthesisLayerOptions options_;
  int64_t width_;
};
TORCH_MODULE(SynthesisLayer);

}  // namespace draggan
