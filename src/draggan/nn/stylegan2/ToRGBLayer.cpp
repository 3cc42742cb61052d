#include "draggan/nn/stylegan2/ToRGBLayer.h"

#include <cmath>

#include "draggan/nn/BiasAct.h"
#include "draggan/nn/ModulatedConv.h"

namespace draggan {

ToRGBLayerImpl::ToRGBLayerImpl(const ToRGBOptions& o)
    : options_(o), weight_gain_(1.0 / std::sqrt(static_cast<double>(o.in_channels * o.kernel_size * o.kernel_size))) {
  FullyConnectedOptions fc;
  fc.in_features = o.w_dim;
  fc.out_features = o.in_channels;
  fc.bias_init = 1.0;
  affine = register_module("affine", FullyConnectedLayer(fc));
  weight = register_parameter("weight", torch::randn({o.out_channels, o.in_channels, o.kernel_size, o.kernel_size}));
  bias = register_parameter("bias", torch::zeros({o.out_channels}));
}

torch::Tensor ToRGBLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& w, bool fused_modconv) {
  // Without demodulation the equalised-lr gain has to be applied somewhere; the official code puts it on the styles.
  torch::Tensor styles = affine->forward(w) * weight_gain_;
  if (!fused_modconv && x.size(0) == 1 && weight.size(2) == 1 && weight.size(3) == 1 &&
      x.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    // A 1x1 convolution of a channels-last map is one matrix product over its pixels, with the styles on the
    // small weight instead of the large input.
    const int64_t in_c = x.size(1), out_c = weight.size(0);
    const torch::Tensor kernel = weight.to(x.dtype()).view({out_c, in_c}) * styles.to(x.dtype()).view({1, in_c});
    const torch::Tensor y = torch::addmm(bias.to(x.dtype()).unsqueeze(0), x.permute({0, 2, 3, 1}).reshape({-1, in_c}),
                                         kernel.t())
                                .view({1, x.size(2), x.size(3), out_c})
                                .permute({0, 3, 1, 2});
    return options_.conv_clamp ? torch::hardtanh(y, -*options_.conv_clamp, *options_.conv_clamp) : y;
  }
  ModulatedConvOptions mc;
  mc.demodulate = false;
  mc.fused = fused_modconv;
  torch::Tensor y = modulated_conv2d(x, weight, styles, {}, {}, mc);
  return bias_act(y, bias.to(y.dtype()), Activation::Linear, 1.0, options_.conv_clamp);
}

}  // namespace draggan
