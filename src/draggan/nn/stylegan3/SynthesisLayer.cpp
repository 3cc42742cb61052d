#include "draggan/nn/stylegan3/SynthesisLayer.h"

#include <cmath>

#include "draggan/nn/FastConv.h"
#include "draggan/nn/stylegan3/FilteredLrelu.h"
#include "draggan/nn/stylegan3/LowpassFilter.h"

namespace F = torch::nn::functional;

namespace draggan::stylegan3 {

torch::Tensor modulated_conv2d_sg3(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& styles,
                                   bool demodulate, int64_t padding, const torch::Tensor& input_gain, bool fused) {
  const int64_t n = x.size(0);
  const int64_t out_c = weight.size(0), in_c = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  TORCH_CHECK(x.size(1) == in_c, "modulated_conv2d: input has ", x.size(1), " channels, weight expects ", in_c);
  TORCH_CHECK(styles.size(0) == n && styles.size(1) == in_c, "modulated_conv2d: styles shape mismatch");

  torch::Tensor w = weight, s = styles;
  if (demodulate) {
    // Pre-normalisation keeps the modulated weight's magnitude independent of the raw scales (fp16 safety in
    // the official code; kept for identical results).
    w = w * w.square().mean({1, 2, 3}, true).rsqrt();
    // One sample: the official reduction over the whole tensor, op for op.
    s = s * (n == 1 ? s.square().mean() : s.square().mean({1}, true)).rsqrt();
  }

  if (!fused) {
    torch::Tensor scale = s * input_gain;  // the gain multiplies the weight after demodulation: same as the input
    auto options = F::Conv2dFuncOptions().padding(padding);
    // LibTorch sends single-threaded 1x1 convolutions of one image to a BLAS im2col kernel (slow with Debian's
    // reference BLAS) and dilated ones to oneDNN; dilation does not change a 1x1 convolution (StyleGAN3-R).
    if (kh == 1 && kw == 1) options.dilation(2);
    torch::Tensor y = draggan::conv2d(x * scale.reshape({n, in_c, 1, 1}), w.to(x.dtype()), options);
    if (demodulate) {
      const torch::Tensor dcoefs = (s.square().matmul(w.square().sum({2, 3}).t()) + 1e-8).rsqrt();  // [N, O]
      y = y * dcoefs.reshape({n, out_c, 1, 1});
    }
    return y;
  }

  torch::Tensor m = w.unsqueeze(0) * s.unsqueeze(1).unsqueeze(3).unsqueeze(4);  // [N, O, I, k, k]
  if (demodulate) {
    torch::Tensor dcoefs = (m.square().sum({2, 3, 4}) + 1e-8).rsqrt();  // [N, O]
    m = m * dcoefs.unsqueeze(2).unsqueeze(3).unsqueeze(4);
  }
  m = m * input_gain.expand({n, in_c}).unsqueeze(1).unsqueeze(3).unsqueeze(4);
  torch::Tensor y = F::conv2d(x.reshape({1, n * in_c, x.size(2), x.size(3)}), m.reshape({n * out_c, in_c, kh, kw}).to(x.dtype()),
                              F::Conv2dFuncOptions().padding(padding).groups(n));
  return y.reshape({n, out_c, y.size(2), y.size(3)});
}

SynthesisLayerImpl::SynthesisLayerImpl(const SynthesisLayerOptions& options) : options_(options) {
  const LayerSpec& l = options_.spec;
  FullyConnectedOptions a;
  a.in_features = options_.w_dim;
  a.out_features = l.in_channels;
  a.bias_init = 1.0;
  // Official registration order: affine, weight, bias, magnitude_ema, up_filter, down_filter.
  affine = register_module("affine", FullyConnectedLayer(a));
  weight = register_parameter("weight", torch::randn({l.out_channels, l.in_channels, l.conv_kernel, l.conv_kernel}));
  bias = register_parameter("bias", torch::zeros({l.out_channels}));
  magnitude_ema = register_buffer("magnitude_ema", torch::ones({}));
  const torch::Tensor up = design_lowpass_filter(l.up_taps, l.in_cutoff, l.in_half_width * 2, l.tmp_sampling_rate);
  if (up.defined()) up_filter = register_buffer("up_filter", up);
  const torch::Tensor down = design_lowpass_filter(l.down_taps, l.out_cutoff, l.out_half_width * 2,
                                                   l.tmp_sampling_rate, l.down_radial);
  if (down.defined()) down_filter = register_buffer("down_filter", down);
}

torch::Tensor SynthesisLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& w, bool official_arithmetic) {
  const LayerSpec& l = options_.spec;
  TORCH_CHECK(x.dim() == 4 && x.size(1) == l.in_channels && x.size(2) == l.in_size && x.size(3) == l.in_size,
              l.name, ": input has shape ", x.sizes(), ", expected [N, ", l.in_channels, ", ", l.in_size, ", ",
              l.in_size, "]");
  const torch::Tensor input_gain = magnitude_ema.rsqrt();
  torch::Tensor styles = affine->forward(w);
  if (l.is_torgb) styles = styles * (1 / std::sqrt(static_cast<double>(l.in_channels * l.conv_kernel * l.conv_kernel)));

  // Without a backward pass the official fused modulation is as fast and gives the official rounding; with one,
  // scaling the activations spares the weight-gradient convolution.
  const bool needs_grad = torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad());
  torch::Tensor y = modulated_conv2d_sg3(x, weight, styles, !l.is_torgb, l.conv_kernel - 1, input_gain,
                                         official_arithmetic || !needs_grad);
  FilteredLreluOptions f;
  f.up = l.up_factor;
  f.down = l.down_factor;
  f.padding = l.padding;
  f.gain = l.is_torgb ? 1.0 : std::sqrt(2.0);
  f.slope = l.is_torgb ? 1.0 : 0.2;
  f.clamp = options_.conv_clamp;
  const torch::Tensor b = bias.to(y.dtype());
  return official_arithmetic ? filtered_lrelu_reference(y, up_filter, down_filter, b, f)
                             : filtered_lrelu_fast(y, up_filter, down_filter, b, f);
}

}  // namespace draggan::stylegan3
