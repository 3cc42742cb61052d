#include "draggan/nn/stylegan2/SynthesisLayer.h"

#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/nn/BiasAct.h"
#include "draggan/nn/ModulatedConv.h"
#include "draggan/nn/Upfirdn2d.h"

namespace draggan {

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

torch::Tensor SynthesisLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& w, NoiseMode noise_mode,
                                          double gain, int64_t origin_row, int64_t origin_col,
                                          bool fused_modconv) {
  const int64_t res = options_.resolution, width = width_;
  const int64_t out_rows = x.dim() == 4 ? x.size(2) * options_.up : 0;
  const int64_t out_cols = x.dim() == 4 ? x.size(3) * options_.up : 0;
  if (x.dim() != 4 || x.size(1) != options_.in_channels || out_rows < 1 || out_cols < 1 || origin_row < 0 ||
      origin_col < 0 || origin_row + out_rows > res || origin_col + out_cols > width)
    throw InputError("synthesis layer: unexpected input shape");
  torch::Tensor styles = affine->forward(w);

  torch::Tensor noise;
  if (options_.use_noise && noise_mode == NoiseMode::Random) {
    noise = torch::randn({x.size(0), 1, out_rows, out_cols}, x.options()) * noise_strength;
  } else if (options_.use_noise && noise_mode == NoiseMode::Const) {
    const bool whole = out_rows == res && out_cols == width;
    noise = (whole ? noise_const : noise_const.slice(0, origin_row, origin_row + out_rows)
                                                .slice(1, origin_col, origin_col + out_cols)) *
            noise_strength;
  }

  ModulatedConvOptions mc;
  mc.up = options_.up;
  mc.padding = options_.kernel_size / 2;
  mc.flip_weight = options_.up == 1;
  mc.fused = fused_modconv;  // the official layer flips only on the up-sampling (transposed) path
  torch::Tensor y = modulated_conv2d(x, weight, styles, noise, resample_filter, mc);

  const double act_gain = std::sqrt(2.0) * gain;
  std::optional<double> clamp;
  if (options_.conv_clamp) clamp = *options_.conv_clamp * gain;
  return bias_act(y, bias.to(y.dtype()), Activation::LeakyReLU, act_gain, clamp);
}

}  // namespace draggan
