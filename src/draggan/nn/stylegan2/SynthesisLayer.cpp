#include "draggan/nn/stylegan2/SynthesisLayer.h"

#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/nn/BiasAct.h"
#include "draggan/nn/FastConv.h"
#include "draggan/nn/FusedEpilogue.h"
#include "draggan/nn/ModulatedConv.h"
#include "draggan/nn/TransposedConv.h"
#include "draggan/nn/Upfirdn2d.h"

namespace F = torch::nn::functional;

namespace draggan {
namespace {

// Modulating the weight costs a pass over it; modulating the activations a pass over the input (and, for a plain
// convolution, one over the output for the demodulation). Either way the result is the same function. With
// autograd, a modulated weight also needs the weight-gradient convolution, which only pays when the weight is
// being trained anyway.
bool modulate_weight(const torch::Tensor& weight, int64_t batch, int64_t weight_values, int64_t activation_values) {
  if (batch != 1 || weight_values > activation_values) return false;
  return !torch::GradMode::is_enabled() || weight.requires_grad();
}

// The FIR filter of an up-sampling layer as one depthwise kernel per channel, [C, 1, fh, fw]: flipped (upfirdn2d's
// true convolution), times `gain`, times each channel's output scale.
torch::Tensor fir_kernels(const torch::Tensor& filter, double gain, const torch::Tensor& channel_scale) {
  torch::Tensor f = filter.dim() == 2 ? filter : torch::outer(filter, filter);
  f = f.flip({0, 1}).to(channel_scale.dtype()) * gain;
  return f.unsqueeze(0).unsqueeze(0) * channel_scale.reshape({-1, 1, 1, 1});
}

}  // namespace

SynthesisLayerImpl::SynthesisLayerImpl(const SynthesisLayerOptions& o)
    : options_(o), width_(o.width > 0 ? o.width : o.resolution) {
  // Registration order follows the official module so parameter lists line up with PyTorch's.
  resample_filter = register_buffer("resample_filter", setup_filter(o.resample_filter));
  FullyConnectedOptions fc;
  fc.in_features = o.w_dim;
  fc.out_features = o.in_channels;
  fc.bias_init = 1.0;  // styles start at 1: the unmodulated convolution
  affine = register_module("affine", FullyConnectedLayer(fc));
  weight = register_parameter("weight", torch::randn({o.out_channels, o.in_channels, o.kernel_size, o.kernel_size}));
  if (o.use_noise) {
    noise_const = register_buffer("noise_const", torch::randn({o.resolution, width_}));
    noise_strength = register_parameter("noise_strength", torch::zeros({}));
  }
  bias = register_parameter("bias", torch::zeros({o.out_channels}));
}

torch::Tensor SynthesisLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& w,
                                          NoiseMode noise_mode, double gain, int64_t origin_row,
                                          int64_t origin_col, bool fused_modconv, bool image_only,
                                          const BatchRows* random_rows) {
  const int64_t res = options_.resolution, width = width_;
  const int64_t out_rows = x.dim() == 4 ? x.size(2) * options_.up : 0;
  const int64_t out_cols = x.dim() == 4 ? x.size(3) * options_.up : 0;
  if (x.dim() != 4 || x.size(1) != options_.in_channels || out_rows < 1 || out_cols < 1 || origin_row < 0 ||
      origin_col < 0 || origin_row + out_rows > res || origin_col + out_cols > width)
    throw InputError("synthesis layer: unexpected input shape");
  torch::Tensor styles = affine->forward(w);

  torch::Tensor noise;
  if (options_.use_noise && noise_mode == NoiseMode::Random) {
    const auto draw = [&](int64_t n) { return torch::randn({n, 1, out_rows, out_cols}, x.options()); };
    noise = (random_rows ? random_rows->draw(x.size(0), draw) : draw(x.size(0))) * noise_strength;
  } else if (options_.use_noise && noise_mode == NoiseMode::Const) {
    const bool whole = out_rows == res && out_cols == width;
    noise = (whole ? noise_const : noise_const.slice(0, origin_row, origin_row + out_rows)
                                                .slice(1, origin_col, origin_col + out_cols)) *
            noise_strength;
  }
  const double act_gain = std::sqrt(2.0) * gain;
  std::optional<double> clamp;
  if (options_.conv_clamp) clamp = *options_.conv_clamp * gain;
  if (!fused_modconv) return fast_forward(x, styles, noise, act_gain, clamp, image_only);

  // The official inference arithmetic: one modulated weight per sample, then bias_act.
  ModulatedConvOptions mc;
  mc.up = options_.up;
  mc.padding = options_.kernel_size / 2;
  mc.flip_weight = options_.up == 1;  // the official layer flips only on the up-sampling (transposed) path
  mc.fused = true;
  torch::Tensor y = modulated_conv2d(x, weight, styles, noise, resample_filter, mc);
  return bias_act(y, bias.to(y.dtype()), Activation::LeakyReLU, act_gain, clamp);
}

// The same function as the official layer up to float rounding, with fewer passes over the activations: the
// activation gain, the demodulation and the bias ride on the convolution (or the up-sampling FIR filter), since
// lrelu(a x) = a lrelu(x) for a > 0; noise and leaky ReLU run in place (their backward needs only the result).
torch::Tensor SynthesisLayerImpl::fast_forward(const torch::Tensor& x, const torch::Tensor& styles_in,
                                               const torch::Tensor& noise, double act_gain,
                                               const std::optional<double>& clamp, bool image_only) {
  const int64_t n = x.size(0), in_c = options_.in_channels, out_c = options_.out_channels, k = options_.kernel_size;
  const auto dtype = x.scalar_type();
  const torch::Tensor styles = styles_in.to(dtype);
  const torch::Tensor dcoefs = (styles.square().matmul(squared_weight_norms().to(dtype).t()) + 1e-8).rsqrt();
  const torch::Tensor out_scale = dcoefs * act_gain;          // [N, out]
  const torch::Tensor bias_scaled = bias.to(dtype) * act_gain;  // [out]
  const int64_t out_values = n * out_c * x.size(2) * x.size(3) * options_.up * options_.up;

  torch::Tensor y;
  if (options_.up == 1) {
    auto conv = F::Conv2dFuncOptions().padding(k / 2);
    const torch::Tensor w = channels_last_weight().to(dtype);
    if (modulate_weight(weight, n, w.numel(), x.numel() + out_values)) {
      const torch::Tensor scale = out_scale.view({out_c, 1}) * styles.view({1, in_c});
      y = draggan::conv2d(x, w * scale.view({out_c, in_c, 1, 1}), conv.bias(bias_scaled));
    } else {
      y = draggan::conv2d(x * styles.view({n, in_c, 1, 1}), w, conv);
      y = torch::addcmul(bias_scaled.view({1, out_c, 1, 1}), y, out_scale.view({n, out_c, 1, 1}));
    }
  } else {
    // Up-sampling: the transposed convolution by phases, then the FIR filter with conv2d_resample's padding. The
    // output scale is per channel, so it rides on the FIR kernel, and the bias joins that pass.
    const auto [fw, fh] = filter_size(resample_filter);
    const int up = options_.up;
    const int64_t pad = k / 2;
    int64_t px0 = pad + (fw + up - 1) / 2 - (k - 1), px1 = pad + (fw - up) / 2 - (k - up);
    int64_t py0 = pad + (fh + up - 1) / 2 - (k - 1), py1 = pad + (fh - up) / 2 - (k - up);
    const int64_t pxt = std::max<int64_t>(std::min(-px0, -px1), 0);
    const int64_t pyt = std::max<int64_t>(std::min(-py0, -py1), 0);
    px0 += pxt, px1 += pxt, py0 += pyt, py1 += pyt;

    // The no-grad image may split the phases (fewer taps, other rounding); everything else keeps them
    // stacked.
    const bool split = image_only && !torch::GradMode::is_enabled() && dtype == weight.scalar_type();
    std::vector<torch::Tensor> kernels =
        split ? split_kernels() : std::vector<torch::Tensor>{phase_kernels().to(dtype)};
    int64_t kernel_values = 0;
    for (const auto& kernel : kernels) kernel_values += kernel.defined() ? kernel.numel() : 0;
    torch::Tensor input = x;
    if (modulate_weight(weight, n, kernel_values, x.numel())) {
      for (auto& kernel : kernels)
        if (kernel.defined()) kernel = kernel * styles.view({1, in_c, 1, 1});
    } else {
      input = x * styles.view({n, in_c, 1, 1});
    }
    torch::Tensor t = split ? conv_transpose2d_split(input, kernels, k, k, up, pyt, pxt)
                            : conv_transpose2d_stacked(input, kernels.front(), k, k, up, pyt, pxt, 1);

    auto fir = F::Conv2dFuncOptions().groups(out_c);
    if (px0 == px1 && py0 == py1 && px0 >= 0 && py0 >= 0) {
      fir = fir.padding({py0, px0});
    } else {
      t = torch::constant_pad_nd(t, {std::max<int64_t>(px0, 0), std::max<int64_t>(px1, 0), std::max<int64_t>(py0, 0),
                                     std::max<int64_t>(py1, 0)});
      t = t.slice(2, std::max<int64_t>(-py0, 0), t.size(2) - std::max<int64_t>(-py1, 0))
              .slice(3, std::max<int64_t>(-px0, 0), t.size(3) - std::max<int64_t>(-px1, 0));
    }
    const double up_gain = static_cast<double>(up * up);
    if (n == 1) {
      y = F::conv2d(t, fir_kernels(resample_filter, up_gain, out_scale), fir.bias(bias_scaled));
    } else {
      y = F::conv2d(t, fir_kernels(resample_filter, up_gain, torch::ones({out_c}, x.options())), fir);
      y = torch::addcmul(bias_scaled.view({1, out_c, 1, 1}), y, out_scale.view({n, out_c, 1, 1}));
    }
  }
  const torch::Tensor scaled_noise = noise.defined() ? noise.to(dtype) * act_gain : torch::Tensor();
  if (!torch::GradMode::is_enabled()) return add_noise_leaky_relu_clamp_(y, scaled_noise, 0.2, clamp);
  if (scaled_noise.defined()) y.add_(scaled_noise);
  torch::leaky_relu_(y, 0.2);
  // The clamp keeps its own output so that leaky ReLU's saved result stays intact for autograd.
  return clamp ? torch::hardtanh(y, -*clamp, *clamp) : y;
}

torch::Tensor SynthesisLayerImpl::squared_weight_norms() {
  return squared_norms_cache_.get(weight, [](const torch::Tensor& w) { return w.square().sum({2, 3}); });
}

torch::Tensor SynthesisLayerImpl::channels_last_weight() {
  return channels_last_cache_.get(weight,
                                  [](const torch::Tensor& w) { return w.contiguous(at::MemoryFormat::ChannelsLast); });
}

torch::Tensor SynthesisLayerImpl::phase_kernels() {
  // conv2d_resample's up-sampling path: the weight transposed to [in, out, k, k], unflipped (flip_weight false).
  return phase_kernels_cache_.get(weight, [this](const torch::Tensor& w) {
    return stack_phase_kernels(w.transpose(0, 1), options_.up, 1).contiguous(at::MemoryFormat::ChannelsLast);
  });
}

std::vector<torch::Tensor> SynthesisLayerImpl::split_kernels() {
  return split_kernels_cache_.get(
      weight, [this](const torch::Tensor& w) { return split_phase_kernels(w.transpose(0, 1), options_.up); });
}

}  // namespace draggan
