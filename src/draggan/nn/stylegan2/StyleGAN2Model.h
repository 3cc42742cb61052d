// StyleGAN2 (NVIDIA stylegan2-ada-pytorch / DragGAN networks_stylegan2, and TensorFlow StyleGAN2 once converted)
// behind the GeneratorModel interface. The supervised features are block outputs; without a mask they are
// synthesised only in windows around the handles (RegionSynthesis), which gives the same numbers for a fraction
// of the work.
//
// StyleGAN-Human is this model with a non-square config (GeneratorConfig::square = false, family
// "stylegan-human"), and with the conventions of the official renderer for that codebase:
//  - the image is H x H/2; the drag runs on the renderer's H x H canvas (the image H/4 columns in): the block
//    output is padded with zero columns to a square and that square is resized to H x H, so the features near
//    the image border blend with the padding exactly as the official ones do;
//  - the official synthesis runs in training mode, i.e. the non-fused modulation (official_arithmetic);
//  - map() truncates towards the w_avg a freshly loaded renderer uses (MappingNetwork::w_avg_after_first_call)
//    instead of letting w_avg drift from call to call as the official training-mode mapping does.
#pragma once
#include <memory>

#include "draggan/model/GeneratorFamily.h"
#include "draggan/model/GeneratorModel.h"
#include "draggan/nn/stylegan2/Generator.h"
#include "draggan/nn/stylegan2/PixelWindow.h"

namespace draggan {

class StyleGAN2Model : public GeneratorModel {
 public:
  explicit StyleGAN2Model(Generator network);

  std::string family() const override { return config().square ? "stylegan2" : "stylegan-human"; }
  std::string description() const override;
  LatentLayout latent_layout() const override;
  ImageShape image_shape() const override;
  FeatureCanvas feature_canvas() const override;  // StyleGAN-Human: H x H, the image H/4 columns in

  int num_feature_layers() const override;
  // Official feature_idx 5 when the generator has at least 6 blocks (>= 128 px); on smaller ones the block at
  // half the image resolution, which is resized x2 to the image as block 5 is on a 256-px model.
  int default_feature_layer() const override;
  std::string feature_layer_name(int layer) const override;  // "b32"

  torch::Tensor map(const torch::Tensor& z, const torch::Tensor& c = {}, double psi = 1.0,
                    int cutoff = -1) override;
  torch::Tensor synthesize(const torch::Tensor& ws, NoiseMode noise = NoiseMode::Const) override;
  FeatureResult features(const torch::Tensor& ws, const FeatureRequest& request) override;

  // The skip architecture's RGB after each block below the last (none for the orig/resnet architectures).
  std::vector<int> coarse_image_heights() const override;
  // Stops the synthesis after the block of that resolution.
  torch::Tensor coarse_image(const torch::Tensor& ws, int height, NoiseMode noise = NoiseMode::Const) override;
  // The synthesis blocks of resolution >= min_height (every block for 0).
  std::vector<torch::Tensor> tuning_parameters(int min_height = 0) override;

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<GeneratorModel> clone() override;
  nlohmann::json config_json() const override { return network_->config().to_json(); }

  // The concrete network, for StyleGAN2-only code (training, the skip-architecture image pyramid).
  Generator& network() { return network_; }
  const GeneratorConfig& config() const { return network_->config(); }

 private:
  std::vector<FeatureWindow> windowed_features(const torch::Tensor& ws, const FeatureRequest& request);
  // The block output on the canvas plane: StyleGAN-Human's [r, r/2] map with zero columns on both sides.
  torch::Tensor to_plane(const torch::Tensor& block_output) const;
  // Rows x columns of block `block`'s map and of its plane, and the plane's zero columns on the left.
  MapSize block_map(int block) const;
  MapSize block_plane(int block) const;
  // The plane's pixels in `span`, synthesised from the window of the block map they overlap (zeros elsewhere).
  std::vector<torch::Tensor> plane_crops(const torch::Tensor& ws, int block, const std::vector<SourceSpan>& spans,
                                         NoiseMode noise);

  Generator network_;
};

// The registry entries: NVIDIA StyleGAN2(-ADA) snapshots (flat or nested init kwargs) and our native files;
// StyleGAN-Human snapshots (the 2:1 `synthesis.b4.const`), in StyleGANHumanFamily.cpp.
GeneratorFamily stylegan2_family();
GeneratorFamily stylegan_human_family();

// A StyleGAN2Model built from a config and its tensors (eval mode, no gradients, on `device`).
std::shared_ptr<StyleGAN2Model> make_stylegan2_model(const GeneratorConfig& config, const StateDict& tensors,
                                                     const std::string& origin, torch::Device device);

}  // namespace draggan
