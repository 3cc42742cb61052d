#include "draggan/nn/stylegan3/StyleGAN3Model.h"

#include "draggan/core/Error.h"
#include "draggan/core/StateDict.h"

namespace draggan {

StyleGAN3Model::StyleGAN3Model(stylegan3::Generator network) : network_(std::move(network)) {
  network_->eval();
  for (auto& p : network_->parameters()) p.set_requires_grad(false);
}

std::string StyleGAN3Model::family() const { return config().family(); }

std::string StyleGAN3Model::description() const {
  const stylegan3::StyleGAN3Config& c = config();
  return "StyleGAN3-" + c.architecture() + " (conv_kernel " + std::to_string(c.conv_kernel) +
         (c.use_radial_filters ? ", radial filters" : ", separable Kaiser filters") + "), " +
         std::to_string(c.img_resolution) + "x" + std::to_string(c.img_resolution);
}

LatentLayout StyleGAN3Model::latent_layout() const {
  const stylegan3::StyleGAN3Config& c = config();
  return {c.z_dim, c.c_dim, c.w_dim, c.num_ws()};
}

ImageShape StyleGAN3Model::image_shape() const {
  const stylegan3::StyleGAN3Config& c = config();
  return {c.img_resolution, c.img_resolution, c.img_channels};
}

int StyleGAN3Model::num_feature_layers() const { return config().num_layers + 1; }

int StyleGAN3Model::default_feature_layer() const { return std::min(5, num_feature_layers() - 1); }

std::string StyleGAN3Model::feature_layer_name(int layer) const {
  if (layer < 0 || layer >= num_feature_layers())
    throw InputError("feature layer " + std::to_string(layer) + " out of range 0.." +
                     std::to_string(num_feature_layers() - 1));
  return network_->synthesis->layers[static_cast<size_t>(layer)]->spec().name;
}

torch::Tensor StyleGAN3Model::map(const torch::Tensor& z, const torch::Tensor& c, double psi, int cutoff) {
  return network_->mapping->forward(z, c, psi, cutoff);
}

torch::Tensor StyleGAN3Model::synthesize(const torch::Tensor& ws, NoiseMode) {
  // StyleGAN3 has no noise inputs: every noise mode gives the same image.
  return network_->synthesis->forward(ws).image;
}

FeatureResult StyleGAN3Model::features(const torch::Tensor& ws, const FeatureRequest& request) {
  const int layer = request.layer;
  if (layer < 0 || layer >= num_feature_layers())
    throw InputError("feature layer " + std::to_string(layer) + " out of range 0.." +
                     std::to_string(num_feature_layers() - 1));
  const bool whole_network = request.full_forward;
  stylegan3::SynthesisPass pass = network_->synthesis->forward(ws, whole_network ? -1 : layer, whole_network,
                                                               request.official_arithmetic);
  const torch::Tensor map = whole_network ? pass.features[static_cast<size_t>(layer)] : pass.features.back();
  // The official renderer resizes the whole map, margin included, to the image: F.interpolate(feat, [h, w],
  // mode='bilinear'). The scale (e.g. 52 -> 64) is not a power of two, so there is no exact window to cut.
  const int64_t h = image_shape().height, w = image_shape().width;
  const torch::Tensor resized =
      map.size(2) == h && map.size(3) == w ? map : at::upsample_bilinear2d(map, std::vector<int64_t>{h, w}, false);
  FeatureResult result;
  const FeatureWindow whole = FeatureWindow::whole(resized);
  result.windows.assign(std::max<size_t>(request.boxes.size(), 1), whole);
  return result;
}

std::shared_ptr<GeneratorModel> StyleGAN3Model::clone() {
  stylegan3::Generator copy(config());
  load_state_dict(*copy, state_dict_of(*network_), "clone");
  copy->to(device());
  return std::make_shared<StyleGAN3Model>(copy);
}

}  // namespace draggan
