#include "draggan/nn/Discriminator.h"

#include "draggan/core/Error.h"

namespace draggan {

DiscriminatorImpl::DiscriminatorImpl(const DiscriminatorConfig& config) : config_(config) {
  config_.validate();
  int layer_idx = 0;
  for (int res : config_.block_resolutions()) {
    const int64_t in = res < config_.img_resolution ? config_.channels_at(res) : 0;
    DiscriminatorBlock block(config_, in, config_.channels_at(res), config_.channels_at(res / 2), res, layer_idx);
    layer_idx += block->num_layers();
    blocks.push_back(register_module("b" + std::to_string(res), block));
  }
  b4 = register_module("b4", DiscriminatorEpilogue(config_, config_.channels_at(4)));
}

torch::Tensor DiscriminatorImpl::forward(const torch::Tensor& img) { return run(img, false).logits; }

DiscriminatorResult DiscriminatorImpl::run(const torch::Tensor& img_in, bool keep_features) {
  const int64_t r = config_.img_resolution, w = config_.img_width();
  if (img_in.dim() != 4 || img_in.size(1) != config_.img_channels || img_in.size(2) != r || img_in.size(3) != w)
    throw InputError("discriminator: expected images [N, " + std::to_string(config_.img_channels) + ", " +
                     std::to_string(r) + ", " + std::to_string(w) + "], got " + c10::str(img_in.sizes()));
  DiscriminatorResult result;
  torch::Tensor x, img = img_in;
  for (auto& block : blocks) {
    std::tie(x, img) = block->forward(x, img);
    if (keep_features) result.features.push_back(x);
  }
  torch::Tensor fc;
  result.logits = b4->forward(x, img, keep_features ? &fc : nullptr);
  if (keep_features) result.features.push_back(fc);
  return result;
}

}  // namespace draggan
