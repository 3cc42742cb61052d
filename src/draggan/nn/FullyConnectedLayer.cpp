#include "draggan/nn/FullyConnectedLayer.h"

#include <cmath>

namespace draggan {

FullyConnectedLayerImpl::FullyConnectedLayerImpl(const FullyConnectedOptions& options)
    : options_(options), weight_gain_(options.lr_multiplier / std::sqrt(static_cast<double>(options.in_features))) {
  // Official initialisation: N(0, 1/lr_mul^2) weights so the effective weight is N(0, 1/in) at any lr_mul.
  weight = register_parameter("weight",
                              torch::randn({options.out_features, options.in_features}) / options.lr_multiplier);
  if (options.bias) bias = register_parameter("bias", torch::full({options.out_features}, options.bias_init));
}

torch::Tensor FullyConnectedLayerImpl::forward(const torch::Tensor& x) {
  const double gain = weight_gain_;
  torch::Tensor w = x.dtype() == weight.dtype()
                        ? scaled_weight_.get(weight, [gain](const torch::Tensor& v) { return v * gain; })
                        : weight.to(x.dtype()) * weight_gain_;
  torch::Tensor b;
  if (bias.defined()) {
    b = bias.to(x.dtype());
    if (options_.lr_multiplier != 1.0) b = b * options_.lr_multiplier;
  }
  // Same op split as the official layer (addmm for linear+bias, matmul then bias_act otherwise) so rounding matches.
  if (options_.activation == Activation::Linear && b.defined()) return torch::addmm(b.unsqueeze(0), x, w.t());
  return bias_act(x.matmul(w.t()), b, options_.activation, default_gain(options_.activation));
}

}  // namespace draggan
