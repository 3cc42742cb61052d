#include "draggan/nn/stylegan2/SynthesisNetwork.h"

#include <string>

#include "draggan/core/Error.h"

namespace draggan {

SynthesisNetworkImpl::SynthesisNetworkImpl(const GeneratorConfig& config) : w_dim_(config.w_dim) {
  config.validate();
  for (int res : config.block_resolutions()) {
    SynthesisBlockOptions o;
    o.in_channels = res > 4 ? config.channels_at(res / 2) : 0;
    o.out_channels = config.channels_at(res);
    o.w_dim = config.w_dim;
    o.resolution = res;
    o.width = config.map_width(res);
    o.img_channels = config.img_channels;
    o.is_last = res == config.img_resolution;
    o.architecture = config.architecture;
    o.resample_filter = config.resample_filter;
    o.conv_clamp = config.conv_clamp;
    o.use_noise = config.use_noise;
    SynthesisBlock block = register_module("b" + std::to_string(res), SynthesisBlock(o));
    w_offsets_.push_back(num_ws_);
    // Consecutive blocks share one w: a block's toRGB reads the same w as the next block's conv0.
    num_ws_ += block->num_conv() + (o.is_last ? block->num_torgb() : 0);
    blocks.push_back(block);
  }
}

SynthesisResult SynthesisNetworkImpl::forward(const torch::Tensor& ws_in, const SynthesisRequest& request) {
  if (!ws_in.defined() || ws_in.dim() != 3 || ws_in.size(1) != num_ws_ || ws_in.size(2) != w_dim_)
    throw InputError("synthesis: ws must have shape [N, " + std::to_string(num_ws_) + ", " + std::to_string(w_dim_) +
                     "]");
  const int last = static_cast<int>(blocks.size()) - 1;
  const int stop = request.stop_after_block < 0 ? last : request.stop_after_block;
  if (stop > last)
    throw InputError("synthesis: stop_after_block " + std::to_string(stop) + " but the generator has only " +
                     std::to_string(blocks.size()) + " blocks");
  torch::Tensor ws = ws_in.to(torch::kFloat32);

  SynthesisResult result;
  torch::Tensor x, img;
  for (int i = 0; i <= stop; ++i) {
    auto& block = blocks[i];
    torch::Tensor block_ws = ws.narrow(1, w_offsets_[i], block->num_conv() + block->num_torgb());
    std::tie(x, img) = block->forward(x, img, block_ws, request.noise, request.fused_modconv,
                                      request.image_only, request.random_rows);
    if (request.keep_features) result.features.push_back(x);
  }
  if (stop == last) result.image = img;
  result.partial_image = img;
  return result;
}

}  // namespace draggan
