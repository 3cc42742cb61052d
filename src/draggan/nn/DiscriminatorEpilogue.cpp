#include "draggan/nn/DiscriminatorEpilogue.h"

#include "draggan/nn/MinibatchStd.h"

namespace draggan {

DiscriminatorEpilogueImpl::DiscriminatorEpilogueImpl(const DiscriminatorConfig& config, int64_t in_channels)
    : config_(config) {
  auto conv_layer = [&](int64_t in, int64_t kernel, bool clamp) {
    Conv2dLayerOptions o;
    o.in_channels = in;
    o.out_channels = in_channels;
    o.kernel_size = kernel;
    o.activation = Activation::LeakyReLU;
    // The official epilogue's fromrgb has no clamp, its conv has.
    if (clamp) o.conv_clamp = config.conv_clamp;
    return Conv2dLayer(o);
  };
  if (config.architecture == "skip") fromrgb = register_module("fromrgb", conv_layer(config.img_channels, 1, false));
  conv = register_module("conv", conv_layer(in_channels + config.mbstd_num_channels, 3, true));
  FullyConnectedOptions f;
  // The flattened 4x4 map (StyleGAN-Human: 4x2).
  f.in_features = in_channels * 4 * (config.square ? 4 : 2);
  f.out_features = in_channels;
  f.activation = Activation::LeakyReLU;
  fc = register_module("fc", FullyConnectedLayer(f));
  FullyConnectedOptions o;
  o.in_features = in_channels;
  o.out_features = 1;
  out = register_module("out", FullyConnectedLayer(o));
}

torch::Tensor DiscriminatorEpilogueImpl::forward(const torch::Tensor& x_in, const torch::Tensor& img,
                                                 torch::Tensor* fc_out) {
  torch::Tensor x = x_in.to(torch::kFloat32);
  if (fromrgb) x = x + fromrgb(img.to(torch::kFloat32));
  if (config_.mbstd_num_channels > 0) x = minibatch_std(x, config_.mbstd_group_size, config_.mbstd_num_channels);
  x = fc(conv(x).flatten(1));
  if (fc_out) *fc_out = x;
  return out(x);
}

}  // namespace draggan
