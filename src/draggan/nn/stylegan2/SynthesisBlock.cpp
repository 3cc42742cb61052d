#include "draggan/nn/stylegan2/SynthesisBlock.h"

#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/nn/Upfirdn2d.h"

namespace draggan {

SynthesisBlockImpl::SynthesisBlockImpl(const SynthesisBlockOptions& o) : options_(o) {
  if (o.architecture != "orig" && o.architecture != "skip" && o.architecture != "resnet")
    throw CheckpointError("synthesis block: unknown architecture '" + o.architecture + "'");
  resample_filter = register_buffer("resample_filter", setup_filter(o.resample_filter));
  if (o.in_channels == 0)
    const_input = register_parameter("const", torch::randn({o.out_channels, o.resolution, width()}));

  SynthesisLayerOptions layer;
  layer.w_dim = o.w_dim;
  layer.resolution = o.resolution;
  layer.width = width();
  layer.resample_filter = o.resample_filter;
  layer.conv_clamp = o.conv_clamp;
  layer.use_noise = o.use_noise;
  if (o.in_channels != 0) {
    SynthesisLayerOptions l0 = layer;
    l0.in_channels = o.in_channels;
    l0.out_channels = o.out_channels;
    l0.up = 2;
    conv0 = register_module("conv0", SynthesisLayer(l0));
    ++num_conv_;
  }
  SynthesisLayerOptions l1 = layer;
  l1.in_channels = o.out_channels;
  l1.out_channels = o.out_channels;
  conv1 = register_module("conv1", SynthesisLayer(l1));
  ++num_conv_;

  if (o.is_last || o.architecture == "skip") {
    ToRGBOptions rgb;
    rgb.in_channels = o.out_channels;
    rgb.out_channels = o.img_channels;
    rgb.w_dim = o.w_dim;
    rgb.conv_clamp = o.conv_clamp;
    torgb = register_module("torgb", ToRGBLayer(rgb));
    ++num_torgb_;
  }
  if (o.in_channels != 0 && o.architecture == "resnet") {
    Conv2dLayerOptions sk;
    sk.in_channels = o.in_channels;
    sk.out_channels = o.out_channels;
    sk.kernel_size = 1;
    sk.bias = false;
    sk.up = 2;
    sk.resample_filter = o.resample_filter;
    skip = register_module("skip", Conv2dLayer(sk));
  }
}

std::pair<torch::Tensor, torch::Tensor> SynthesisBlockImpl::forward(
    const torch::Tensor& x_in, const torch::Tensor& img_in, const torch::Tensor& ws, NoiseMode noise_mode,
    bool fused, bool image_only, const BatchRows* random_rows) {
  const int64_t n = ws.size(0);
  if (ws.dim() != 3 || ws.size(1) != num_conv_ + num_torgb_ || ws.size(2) != options_.w_dim)
    throw InputError("synthesis block b" + std::to_string(options_.resolution) + ": ws has the wrong shape");
  int w_idx = 0;
  auto next_w = [&]() { return ws.select(1, w_idx++); };

  torch::Tensor x;
  if (options_.in_channels == 0) {
    x = const_input.unsqueeze(0).expand({n, -1, -1, -1});
    // Channels-last from here on (the official arithmetic keeps the official layout): oneDNN convolves it without
    // reordering, and the up-sampling layers' FIR filters and phase interleaving run several times faster on it.
    if (!fused) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    x = conv1->forward(x, next_w(), noise_mode, 1.0, 0, 0, fused, image_only, random_rows);
  } else if (options_.architecture == "resnet") {
    const double g = std::sqrt(0.5);
    torch::Tensor y = skip->forward(x_in, g);
    x = conv0->forward(x_in, next_w(), noise_mode, 1.0, 0, 0, fused, image_only, random_rows);
    x = conv1->forward(x, next_w(), noise_mode, g, 0, 0, fused, image_only, random_rows);
    x = y + x;
  } else {
    x = conv0->forward(x_in, next_w(), noise_mode, 1.0, 0, 0, fused, image_only, random_rows);
    x = conv1->forward(x, next_w(), noise_mode, 1.0, 0, 0, fused, image_only, random_rows);
  }

  torch::Tensor img;
  if (img_in.defined())
    img = fused ? upsample2d(img_in, resample_filter, 2) : upsample2d_direct(img_in, resample_filter, 2);
  if (torgb) {
    torch::Tensor y = torgb->forward(x, next_w(), fused);
    img = img.defined() ? img + y : y;
  }
  return {x, img};
}

}  // namespace draggan
