#include "draggan/invert/DiscriminatorFeatureLoss.h"

#include "draggan/core/Error.h"

namespace draggan {

DiscriminatorFeatureLoss::DiscriminatorFeatureLoss(const StateDict& weights, const nlohmann::json& config,
                                                   torch::Device device, const std::string& origin) {
  if (weights.empty() || config.is_null())
    throw CheckpointError(origin + ": the checkpoint has no discriminator (D) to use as a perceptual loss");
  DiscriminatorConfig cfg;
  try {
    cfg = DiscriminatorConfig::from_any_json(config);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(origin + ": discriminator config: " + e.what());
  }
  cfg.validate();
  discriminator_ = Discriminator(cfg);
  load_state_dict(*discriminator_, weights, origin + " (D)", /*allow_extra=*/true);
  discriminator_->to(device);
  discriminator_->eval();
  for (auto& p : discriminator_->parameters()) p.set_requires_grad(false);
}

std::vector<torch::Tensor> DiscriminatorFeatureLoss::features(const torch::Tensor& image) {
  const int res = discriminator_->config().img_resolution, width = discriminator_->config().img_width();
  if (image.dim() != 4 || image.size(2) != res || image.size(3) != width)
    throw InputError("discriminator loss: expected [N, C, " + std::to_string(res) + ", " + std::to_string(width) +
                     "] images, got " + c10::str(image.sizes()));
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& f : discriminator_->run(image, /*keep_features=*/true).features)
    if (f.dim() == 4) out.push_back(unit_normalize_channels(f));  // the last one is the flat fc output
  return out;
}

torch::Tensor DiscriminatorFeatureLoss::distance(const std::vector<torch::Tensor>& a,
                                                 const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size() || a.empty()) throw InputError("discriminator loss: feature lists do not match");
  torch::Tensor total;
  for (size_t k = 0; k < a.size(); ++k) {
    const torch::Tensor d = (a[k] - b[k]).square().sum(1).mean({1, 2});
    total = total.defined() ? total + d : d;
  }
  return total;
}

}  // namespace draggan
