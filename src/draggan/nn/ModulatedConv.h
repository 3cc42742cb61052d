// Style-modulated convolution (StyleGAN2): scale the weight's input channels by per-sample styles, optionally
// demodulate each output channel to unit norm, convolve (with optional 2x up-sampling), add noise.
#pragma once
#include <torch/torch.h>

#include "draggan/nn/Upfirdn2d.h"

namespace draggan {

struct ModulatedConvOptions {
  int up = 1;
  int64_t padding = 0;
  bool demodulate = true;
  bool flip_weight = true;
  // true: the official inference formulation ("fused"): one modulated weight per sample, a plain convolution
  // for N == 1 and a grouped convolution over the batch otherwise.
  // false (default): scale the input by the styles, convolve with the shared weight, scale the output by the
  // demodulation coefficients, as the official training path does. Same function up to float rounding
  // (~1e-6), but the weight is never rebuilt per sample and, since the shared weight needs no gradient, the
  // backward pass skips the weight-gradient convolution: a drag step or a training step does a third less work.
  bool fused = false;
  // Non-fused only, optional: weight.square().sum({2, 3}) [O, I] computed beforehand (it changes only with the
  // weight; see SynthesisLayer::squared_weight_norms).
  torch::Tensor squared_weight_norms;
};

// x [N, I, H, W], weight [O, I, k, k], styles [N, I], noise broadcastable to the output (or undefined),
// resample_filter used when up > 1.
torch::Tensor modulated_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& styles,
                               const torch::Tensor& noise, const torch::Tensor& resample_filter,
                               const ModulatedConvOptions& options);

}  // namespace draggan
