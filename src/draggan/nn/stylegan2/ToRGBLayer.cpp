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
  ModulatedConvOptions mc;
  mc.demodulate = false;
  mc.fused = fused_modconv;
  torch::Tensor y = modulated_conv2d(x, weight, styles, {}, {}, mc);
  return bias_act(y, bias.to(y.dtype()), Activation::Linear, 1.0, options_.conv_clamp);
}

}  // namespace draggan
