// StyleGAN3 (T and R) behind the GeneratorModel interface, with the official renderer's feature convention for
// the drag: feature layer i is the output of synthesis layer L{i} (num_layers layers + ToRGB), margin included,
// resized as a whole (bilinear) to the image size. The default is the official feature_idx 5.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "draggan/model/GeneratorModel.h"
#include "draggan/nn/stylegan3/Generator.h"

namespace draggan {

class StyleGAN3Model : public GeneratorModel {
 public:
  // Takes the network as built (weights loaded or not); puts it in eval mode without parameter gradients.
  explicit StyleGAN3Model(stylegan3::Generator network);

  std::string family() const override;
  std::string description() const override;
  LatentLayout latent_layout() const override;
  ImageShape image_shape() const override;

  int num_feature_layers() const override;
  int default_feature_layer() const override;
  std::string feature_layer_name(int layer) const override;

  torch::Tensor map(const torch::Tensor& z, const torch::Tensor& c = {}, double psi = 1.0, int cutoff = -1) override;
  torch::Tensor synthesize(const torch::Tensor& ws, NoiseMode noise = NoiseMode::Const) override;
  FeatureResult features(const torch::Tensor& ws, const FeatureRequest& request) override;

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<GeneratorModel> clone() override;
  nlohmann::json config_json() const override { return network_->config().to_json(); }

  // The concrete network, for tests and tools that need layer outputs.
  stylegan3::Generator& network() { return network_; }
  const stylegan3::StyleGAN3Config& config() const { return network_->config(); }

 private:
  stylegan3::Generator network_;
};

}  // namespace draggan
