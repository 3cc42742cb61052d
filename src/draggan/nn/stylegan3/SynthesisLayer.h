// One StyleGAN3 synthesis layer (L0 .. L13, and ToRGB as the last): style-modulated convolution with the
// input gain of the tracked input magnitude (buffer magnitude_ema), then the filtered leaky ReLU that moves
// the signal from the input to the output sampling rate. Checkpoint names: affine.*, weight, bias,
// magnitude_ema, up_filter and down_filter (the filters only where they are not the identity).
#pragma once
#include <torch/torch.h>

#include "draggan/nn/FullyConnectedLayer.h"
#include "draggan/nn/stylegan3/StyleGAN3Config.h"

namespace draggan::stylegan3 {

struct SynthesisLayerOptions {
  LayerSpec spec;
  int w_dim = 0;
  std::optional<double> conv_clamp;
};

class SynthesisLayerImpl : public torch::nn::Module {
 public:
  explicit SynthesisLayerImpl(const SynthesisLayerOptions& options);

  // x [N, in_channels, in_size, in_size], w [N, w_dim] -> [N, out_channels, out_size, out_size].
  // official_arithmetic: the official op sequence (one modulated weight per sample, the reference filtered
  // leaky ReLU) for bit-level parity; otherwise an equal computation that is cheaper forward and backward
  // (the same values up to float rounding; without autograd, the same values).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& w, bool official_arithmetic = false);

  const LayerSpec& spec() const { return options_.spec; }

  FullyConnectedLayer affine{nullptr};
  torch::Tensor weight;         // [out, in, k, k]
  torch::Tensor bias;           // [out]
  torch::Tensor magnitude_ema;  // [] : the input gain is its rsqrt
  torch::Tensor up_filter;      // [up_taps] or undefined
  torch::Tensor down_filter;    // [down_taps], [down_taps, down_taps] (radial) or undefined

 private:
  SynthesisLayerOptions options_;
};
TORCH_MODULE(SynthesisLayer);

// StyleGAN3's modulated convolution: the weight and the styles pre-normalised (when demodulating), weight
// modulated and demodulated per sample, scaled by input_gain (a scalar tensor), full padding `padding`.
// fused = the official single-weight-per-sample formulation; otherwise the styles scale the input and the
// demodulation the output (no per-sample weight, and no weight gradient in the backward pass).
// Unlike the official op, the styles are normalised per sample rather than over the whole batch, so that an
// image does not depend on the other images of its batch (identical for one sample, as the renderer runs).
torch::Tensor modulated_conv2d_sg3(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& styles,
                                   bool demodulate, int64_t padding, const torch::Tensor& input_gain, bool fused);

}  // namespace draggan::stylegan3
