// One modulated 3x3 convolution of the synthesis network (official SynthesisLayer): affine(w) -> styles,
// modulated conv (optionally 2x up), per-pixel noise, bias + lrelu with gain and clamp.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "draggan/nn/DerivedWeight.h"
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

  // x [N, in, res/up, width/up], w [N, w_dim] -> [N, out, res, width]. gain scales the activation gain and
  // the clamp (the resnet architecture passes sqrt(0.5)).
  //
  // fused_modconv: the official inference arithmetic (ModulatedConvOptions::fused); otherwise an equivalent
  // with fewer passes over the activations, in place where autograd allows (see fast_forward).
  //
  // image_only: the caller wants the image alone, without gradients (GeneratorModel::synthesize); the layer
  // may use arithmetic whose rounding differs from the feature path's (split phase kernels), which the drag's
  // features must never see: they have to agree bit for bit with and without gradients.
  //
  // x may also be a window of the input map (see RegionSynthesis.h): then the output is the matching window
  // of the output map, whose top-left pixel is (origin_row, origin_col) at the output resolution, and the
  // constant noise is cut to that window.
  // random_rows: see SynthesisRequest.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, NoiseMode noise_mode,
                        double gain = 1.0, int64_t origin_row = 0, int64_t origin_col = 0,
                        bool fused_modconv = false, bool image_only = false,
                        const BatchRows* random_rows = nullptr);

  // sum over the kernel taps of weight^2, [out, in]: demodulation without a per-sample weight. Kept until the
  // weight changes.
  torch::Tensor squared_weight_norms();
  // The weight in channels-last layout, which oneDNN takes without a copy next to channels-last activations.
  torch::Tensor channels_last_weight();
  // For the up-sampling layer: the weight as the transposed convolution's stacked phase kernels
  // (stack_phase_kernels), channels-last. Kept until the weight changes.
  torch::Tensor phase_kernels();
  // The same weight as one sub-kernel per phase (split_phase_kernels), channels-last; for image_only.
  std::vector<torch::Tensor> split_kernels();

  const SynthesisLayerOptions& options() const { return options_; }

  torch::Tensor resample_filter, weight, bias, noise_const, noise_strength;
  FullyConnectedLayer affine{nullptr};

 private:
  torch::Tensor fast_forward(const torch::Tensor& x, const torch::Tensor& styles, const torch::Tensor& noise,
                             double act_gain, const std::optional<double>& clamp, bool image_only);

  SynthesisLayerOptions options_;
  DerivedWeight squared_norms_cache_, channels_last_cache_, phase_kernels_cache_;
  DerivedKernels split_kernels_cache_;
  int64_t width_;
};
TORCH_MODULE(SynthesisLayer);

}  // namespace draggan
