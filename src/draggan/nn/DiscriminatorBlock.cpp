#include "draggan/nn/DiscriminatorBlock.h"

#include <cmath>

#include "draggan/nn/Upfirdn2d.h"

namespace draggan {

DiscriminatorBlockImpl::DiscriminatorBlockImpl(const DiscriminatorConfig& config, int64_t in_channels,
                                               int64_t tmp_channels, int64_t out_channels, int resolution,
                                               int first_layer_idx)
    : in_channels_(in_channels), architecture_(config.architecture) {
  (void)resolution;
  // The block keeps its own copy of the filter (used by the skip architecture's image path), as checkpoints do.
  resample_filter = register_buffer("resample_filter", setup_filter(config.resample_filter));
  auto layer = [&](int64_t in, int64_t out, int64_t kernel, bool bias, int down, bool clamp) {
    Conv2dLayerOptions o;
    o.in_channels = in;
    o.out_channels = out;
    o.kernel_size = kernel;
    o.bias = bias;
    o.activation = bias ? Activation::LeakyReLU : Activation::Linear;
    o.down = down;
    o.resample_filter = config.resample_filter;
    if (clamp) o.conv_clamp = config.conv_clamp;
    o.trainable = first_layer_idx + num_layers_ >= config.freeze_layers;
    ++num_layers_;
    return Conv2dLayer(o);
  };
  if (in_channels == 0 || architecture_ == "skip")
    fromrgb = register_module("fromrgb", layer(config.img_channels, tmp_channels, 1, true, 1, true));
  conv0 = register_module("conv0", layer(tmp_channels, tmp_channels, 3, true, 1, true));
  conv1 = register_module("conv1", layer(tmp_channels, out_channels, 3, true, 2, true));
  // The skip branch is linear, without bias or clamp.
  if (architecture_ == "resnet") skip = register_module("skip", layer(tmp_channels, out_channels, 1, false, 2, false));
}

std::pair<torch::Tensor, torch::Tensor> DiscriminatorBlockImpl::forward(const torch::Tensor& x_in,
                                                                        const torch::Tensor& img_in) {
  torch::Tensor x = x_in.defined() ? x_in.to(torch::kFloat32) : x_in;
  torch::Tensor img;
  if (in_channels_ == 0 || architecture_ == "skip") {
    torch::Tensor y = fromrgb(img_in.to(torch::kFloat32));
    x = x.defined() ? x + y : y;
    if (architecture_ == "skip") img = downsample2d(img_in, resample_filter);
  }
  if (architecture_ == "resnet") {
    const double half = std::sqrt(0.5);
    torch::Tensor y = skip(x, half);
    x = conv1(conv0(x), half);
    return {y + x, img};
  }
  return {conv1(conv0(x)), img};
}

}  // namespace draggan
