#include "draggan/nn/Conv2dLayer.h"

#include <cmath>

#include "draggan/nn/Conv2dResample.h"
#include "draggan/nn/Upfirdn2d.h"

namespace draggan {

Conv2dLayerImpl::Conv2dLayerImpl(const Conv2dLayerOptions& o)
    : options_(o), weight_gain_(1.0 / std::sqrt(static_cast<double>(o.in_channels * o.kernel_size * o.kernel_size))) {
  resample_filter = register_buffer("resample_filter", setup_filter(o.resample_filter));
  torch::Tensor w = torch::randn({o.out_channels, o.in_channels, o.kernel_size, o.kernel_size});
  torch::Tensor b = o.bias ? torch::zeros({o.out_channels}) : torch::Tensor();
  if (o.trainable) {
    weight = register_parameter("weight", w);
    if (b.defined()) bias = register_parameter("bias", b);
  } else {
    weight = register_buffer("weight", w);
    if (b.defined()) bias = register_buffer("bias", b);
  }
}

torch::Tensor Conv2dLayerImpl::forward(const torch::Tensor& x, double gain) {
  torch::Tensor w = weight * weight_gain_;
  Conv2dResampleOptions conv;
  conv.up = options_.up;
  conv.down = options_.down;
  conv.padding = options_.kernel_size / 2;
  conv.flip_weight = options_.up == 1;
  torch::Tensor y = conv2d_resample(x, w.to(x.dtype()), resample_filter, conv);
  const double act_gain = default_gain(options_.activation) * gain;
  std::optional<double> clamp;
  if (options_.conv_clamp) clamp = *options_.conv_clamp * gain;
  return bias_act(y, bias.defined() ? bias.to(y.dtype()) : torch::Tensor(), options_.activation, act_gain, clamp);
}

}  // namespace draggan
