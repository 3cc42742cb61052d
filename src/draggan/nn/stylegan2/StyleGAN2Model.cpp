#include "draggan/nn/stylegan2/StyleGAN2Model.h"

#include <algorithm>
#include <sstream>

#include "draggan/core/Error.h"
#include "draggan/io/NvidiaKwargs.h"
#include "draggan/nn/stylegan2/RegionSynthesis.h"

namespace draggan {

StyleGAN2Model::StyleGAN2Model(Generator network) : network_(std::move(network)) {}

std::string StyleGAN2Model::description() const {
  const GeneratorConfig& c = config();
  std::ostringstream out;
  out << "StyleGAN2 (" << c.architecture << " architecture), " << c.img_resolution << "x" << c.img_resolution
      << ", " << c.img_channels << " channel" << (c.img_channels == 1 ? "" : "s");
  return out.str();
}

LatentLayout StyleGAN2Model::latent_layout() const {
  const GeneratorConfig& c = config();
  return {c.z_dim, c.c_dim, c.w_dim, c.num_ws()};
}

ImageShape StyleGAN2Model::image_shape() const {
  const GeneratorConfig& c = config();
  return {c.img_resolution, c.img_resolution, c.img_channels};
}

int StyleGAN2Model::num_feature_layers() const { return config().num_blocks(); }

int StyleGAN2Model::default_feature_layer() const {
  const std::vector<int> resolutions = config().block_resolutions();
  const int blocks = static_cast<int>(resolutions.size());
  if (blocks >= 6) return 5;
  auto it = std::find(resolutions.begin(), resolutions.end(), config().img_resolution / 2);
  return it != resolutions.end() ? static_cast<int>(it - resolutions.begin()) : blocks - 1;
}

std::string StyleGAN2Model::feature_layer_name(int layer) const {
  const std::vector<int> resolutions = config().block_resolutions();
  if (layer < 0 || layer >= static_cast<int>(resolutions.size()))
    throw InputError("StyleGAN2: no synthesis block " + std::to_string(layer));
  return "b" + std::to_string(resolutions[layer]);
}

torch::Tensor StyleGAN2Model::map(const torch::Tensor& z, const torch::Tensor& c, double psi, int cutoff) {
  return network_->map(z, c, psi, cutoff);
}

torch::Tensor StyleGAN2Model::synthesize(const torch::Tensor& ws, NoiseMode noise) {
  SynthesisRequest request;
  request.noise = noise;
  return network_->synthesize(ws, request).image;
}

std::vector<int> StyleGAN2Model::coarse_image_heights() const {
  std::vector<int> heights;
  if (config().architecture != "skip") return heights;
  const std::vector<int> resolutions = config().block_resolutions();
  for (size_t i = 0; i + 1 < resolutions.size(); ++i) heights.push_back(resolutions[i]);
  return heights;
}

torch::Tensor StyleGAN2Model::coarse_image(const torch::Tensor& ws, int height, NoiseMode noise) {
  const std::vector<int> resolutions = config().block_resolutions();
  const auto it = std::find(resolutions.begin(), resolutions.end(), height);
  if (it == resolutions.end() || height == config().img_resolution || config().architecture != "skip")
    return GeneratorModel::coarse_image(ws, height, noise);
  SynthesisRequest request;
  request.noise = noise;
  request.stop_after_block = static_cast<int>(it - resolutions.begin());
  return network_->synthesize(ws, request).partial_image;
}

std::vector<torch::Tensor> StyleGAN2Model::tuning_parameters(int min_height) {
  std::vector<torch::Tensor> params;
  for (auto& block : network_->synthesis->blocks)
    if (block->options().resolution >= min_height)
      for (const auto& p : block->parameters()) params.push_back(p);
  return params;
}

FeatureResult StyleGAN2Model::features(const torch::Tensor& ws, const FeatureRequest& request) {
  if (request.layer < 0 || request.layer >= num_feature_layers())
    throw InputError("StyleGAN2: no synthesis block " + std::to_string(request.layer) + " (blocks 0.." +
                     std::to_string(num_feature_layers() - 1) + ")");
  const int64_t h = config().img_resolution;
  const size_t count = std::max<size_t>(request.boxes.size(), 1);
  FeatureResult result;
  if (!request.boxes.empty() && !request.official_arithmetic && !request.full_forward) {
    result.windows = windowed_features(ws, request);
    if (!result.windows.empty()) return result;
  }
  // One ordinary pass stopped at the block (or the whole synthesis, for the baseline that stands for the official
  // loop). The official arithmetic is kept where asked: the mask term is a small difference of two large maps.
  SynthesisRequest pass_request;
  pass_request.noise = request.noise;
  pass_request.stop_after_block = request.full_forward ? -1 : request.layer;
  pass_request.fused_modconv = request.official_arithmetic;
  pass_request.keep_features = true;
  SynthesisResult pass = network_->synthesize(ws, pass_request);
  result.preview = pass.partial_image;
  const torch::Tensor& block_output = pass.features[static_cast<size_t>(request.layer)];
  result.windows.assign(count, resize_features(block_output, h, h));
  return result;
}

// Only the windows the step reads, each synthesised from its own cone (regions of the earlier blocks): one joint
// window when the boxes are close, one per box when that computes fewer pixels. Empty when a whole pass is as
// cheap (the windows cover the map, or the block's scale is not a power of two).
std::vector<FeatureWindow> StyleGAN2Model::windowed_features(const torch::Tensor& ws, const FeatureRequest& request) {
  const int64_t h = config().img_resolution;
  const int block = request.layer;
  const int64_t block_size = network_->synthesis->blocks[block]->options().resolution;
  PixelBox all = request.boxes.front();
  for (const PixelBox& b : request.boxes)
    all = {std::min(all.top, b.top), std::min(all.left, b.left), std::max(all.bottom, b.bottom),
           std::max(all.right, b.right)};
  const std::optional<SourceSpan> joint = source_span_of(all, h, h, block_size, block_size);
  if (!joint || (joint->row0 == 0 && joint->col0 == 0 && joint->row1 == block_size - 1 &&
                 joint->col1 == block_size - 1))
    return {};

  auto area = [](const SourceSpan& s) { return (s.row1 - s.row0 + 1) * (s.col1 - s.col0 + 1); };
  auto window_of = [](const SourceSpan& s) {
    return PixelWindow{s.row0, s.col0, s.row1 - s.row0 + 1, s.col1 - s.col0 + 1};
  };
  std::vector<SourceSpan> spans;
  int64_t separate_area = 0;
  for (const PixelBox& b : request.boxes) {
    spans.push_back(*source_span_of(b, h, h, block_size, block_size));
    separate_area += area(spans.back());
  }
  if (area(*joint) <= separate_area) {
    torch::Tensor crop = synthesize_block_window(*network_->synthesis, ws, block, window_of(*joint), request.noise);
    return std::vector<FeatureWindow>(request.boxes.size(), resize_span(crop, *joint, h, h, block_size, block_size));
  }
  std::vector<PixelWindow> pixel_windows;
  for (const SourceSpan& s : spans) pixel_windows.push_back(window_of(s));
  const std::vector<torch::Tensor> crops =
      synthesize_block_windows(*network_->synthesis, ws, block, pixel_windows, request.noise);
  std::vector<FeatureWindow> windows;
  for (size_t j = 0; j < spans.size(); ++j)
    windows.push_back(resize_span(crops[j], spans[j], h, h, block_size, block_size));
  return windows;
}

std::shared_ptr<GeneratorModel> StyleGAN2Model::clone() {
  return make_stylegan2_model(config(), state_dict_of(*network_), "generator copy", device());
}

std::shared_ptr<StyleGAN2Model> make_stylegan2_model(const GeneratorConfig& config, const StateDict& tensors,
                                                     const std::string& origin, torch::Device device) {
  Generator g(config);
  load_state_dict(*g, tensors, origin);
  g->eval();
  for (auto& p : g->parameters()) p.set_requires_grad(false);
  g->to(device);
  return std::make_shared<StyleGAN2Model>(g);
}

GeneratorFamily stylegan2_family() {
  GeneratorFamily f;
  f.name = "stylegan2";
  f.matches_snapshot = [](const nlohmann::json&, const StateDict& tensors) {
    return tensors.count("synthesis.b4.const") > 0 && tensors.count("mapping.w_avg") > 0;
  };
  f.config_from_snapshot = [](const nlohmann::json& kwargs, const StateDict&) {
    return generator_config_from_nvidia_kwargs(kwargs).to_json();
  };
  f.build = [](const nlohmann::json& config, const StateDict& tensors, const std::string& origin,
               torch::Device device) -> GeneratorPtr {
    GeneratorConfig c;
    try {
      c = GeneratorConfig::from_json(config);
    } catch (const CheckpointError& e) {
      throw CheckpointError(origin + ": " + e.what());
    }
    return make_stylegan2_model(c, tensors, origin, device);
  };
  return f;
}

}  // namespace draggan
