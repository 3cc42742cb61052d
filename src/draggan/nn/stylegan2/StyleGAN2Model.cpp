#include "draggan/nn/stylegan2/StyleGAN2Model.h"
#include "draggan/nn/stylegan2/StoredGeneratorConfig.h"

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
  out << (c.square ? "StyleGAN2 (" : "StyleGAN-Human (StyleGAN2 ") << c.architecture << " architecture), "
      << c.img_width() << "x" << c.img_resolution << " (width x height), " << c.img_channels << " channel"
      << (c.img_channels == 1 ? "" : "s");
  return out.str();
}

LatentLayout StyleGAN2Model::latent_layout() const {
  const GeneratorConfig& c = config();
  return {c.z_dim, c.c_dim, c.w_dim, c.num_ws()};
}

ImageShape StyleGAN2Model::image_shape() const {
  const GeneratorConfig& c = config();
  return {c.img_resolution, c.img_width(), c.img_channels};
}

FeatureCanvas StyleGAN2Model::feature_canvas() const {
  const GeneratorConfig& c = config();
  // The official renderer pads (H - W) / 2 columns on each side (Generator.forward with padding=True).
  const int h = c.img_resolution;
  return {h, h, 0, (h - c.img_width()) / 2};
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
  if (config().square) return network_->map(z, c, psi, cutoff);
  // StyleGAN-Human: the official mapping (training mode) first moves w_avg towards this call's output, then
  // truncates towards the moved value, so each call changes the next one. We truncate towards the value a
  // freshly loaded renderer would use and leave w_avg alone: the official start latent, every time.
  torch::Tensor ws = network_->map(z, c, 1.0);
  if (psi == 1.0) return ws;
  const MappingNetworkImpl& mapping = *network_->mapping;
  return mapping.truncate(ws, psi, cutoff, mapping.w_avg_after_first_call(ws));
}

torch::Tensor StyleGAN2Model::synthesize(const torch::Tensor& ws, NoiseMode noise) {
  SynthesisRequest request;
  request.noise = noise;
  request.image_only = !torch::GradMode::is_enabled();
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

MapSize StyleGAN2Model::block_map(int block) const {
  const SynthesisBlockImpl& b = *network_->synthesis->blocks[static_cast<size_t>(block)];
  return {b.options().resolution, b.width()};
}

MapSize StyleGAN2Model::block_plane(int block) const {
  // The canvas is square in both families, so is the plane at every block.
  const int64_t rows = block_map(block).rows;
  return {rows, rows};
}

torch::Tensor StyleGAN2Model::to_plane(const torch::Tensor& block_output) const {
  const int64_t pad = (block_output.size(2) - block_output.size(3)) / 2;
  if (pad == 0) return block_output;
  return at::constant_pad_nd(block_output, {pad, pad}, 0.0);
}

FeatureResult StyleGAN2Model::features(const torch::Tensor& ws, const FeatureRequest& request) {
  if (request.layer < 0 || request.layer >= num_feature_layers())
    throw InputError("StyleGAN2: no synthesis block " + std::to_string(request.layer) + " (blocks 0.." +
                     std::to_string(num_feature_layers() - 1) + ")");
  const FeatureCanvas canvas = feature_canvas();
  const size_t count = std::max<size_t>(request.boxes.size(), 1);
  FeatureResult result;
  if (!request.boxes.empty() && !request.official_arithmetic && !request.full_forward) {
    result.windows = windowed_features(ws, request);
    if (!result.windows.empty()) return result;
  }
  // One ordinary pass stopped at the block (or the whole synthesis, for the baseline that stands for the official
  // loop). The official arithmetic is kept where asked: the mask term is a small difference of two large maps.
  // It is the fused modulation for StyleGAN2 and the non-fused one for StyleGAN-Human, whose official renderer
  // runs the synthesis in training mode.
  SynthesisRequest pass_request;
  pass_request.noise = request.noise;
  pass_request.stop_after_block = request.full_forward ? -1 : request.layer;
  pass_request.fused_modconv = request.official_arithmetic && config().square;
  pass_request.keep_features = true;
  SynthesisResult pass = network_->synthesize(ws, pass_request);
  result.preview = pass.partial_image;
  const torch::Tensor plane = to_plane(pass.features[static_cast<size_t>(request.layer)]);
  result.windows.assign(count, resize_features(plane, canvas.height, canvas.width));
  return result;
}

std::vector<torch::Tensor> StyleGAN2Model::plane_crops(const torch::Tensor& ws, int block,
                                                       const std::vector<SourceSpan>& spans, NoiseMode noise) {
  const MapSize map = block_map(block);
  const int64_t pad = (block_plane(block).cols - map.cols) / 2;
  // Each span's overlap with the block map (plane columns shifted by the padding); none when it lies in the
  // padding only.
  std::vector<PixelWindow> windows;
  std::vector<int> window_of_span;
  for (const SourceSpan& s : spans) {
    const int64_t c0 = std::max<int64_t>(s.col0 - pad, 0), c1 = std::min<int64_t>(s.col1 - pad, map.cols - 1);
    window_of_span.push_back(c1 < c0 ? -1 : static_cast<int>(windows.size()));
    if (c1 >= c0) windows.push_back({s.row0, c0, s.row1 - s.row0 + 1, c1 - c0 + 1});
  }
  std::vector<torch::Tensor> crops;
  if (!windows.empty()) crops = synthesize_block_windows(*network_->synthesis, ws, block, windows, noise);
  std::vector<torch::Tensor> out;
  const int64_t channels = network_->synthesis->blocks[static_cast<size_t>(block)]->options().out_channels;
  for (size_t j = 0; j < spans.size(); ++j) {
    const SourceSpan& s = spans[j];
    const int64_t rows = s.row1 - s.row0 + 1, cols = s.col1 - s.col0 + 1;
    if (window_of_span[j] < 0) {
      out.push_back(torch::zeros({ws.size(0), channels, rows, cols}, ws.options().dtype(torch::kFloat32)));
      continue;
    }
    const PixelWindow& w = windows[static_cast<size_t>(window_of_span[j])];
    const int64_t left = w.col0 + pad - s.col0, right = s.col1 - (w.col_end() - 1 + pad);
    torch::Tensor crop = crops[static_cast<size_t>(window_of_span[j])];
    out.push_back(left == 0 && right == 0 ? crop : at::constant_pad_nd(crop, {left, right}, 0.0));
  }
  return out;
}

// Only the windows the step reads, each synthesised from its own cone (regions of the earlier blocks): one joint
// window when the boxes are close, one per box when that computes fewer pixels. Empty when a whole pass is as
// cheap (the windows cover the map, or the block's scale is not a power of two). Windows are chosen on the
// canvas plane; on StyleGAN-Human's padded plane only their part on the block map is synthesised.
std::vector<FeatureWindow> StyleGAN2Model::windowed_features(const torch::Tensor& ws, const FeatureRequest& request) {
  const FeatureCanvas canvas = feature_canvas();
  const int64_t h = canvas.height, w = canvas.width;
  const int block = request.layer;
  const MapSize plane = block_plane(block);
  PixelBox all = request.boxes.front();
  for (const PixelBox& b : request.boxes)
    all = {std::min(all.top, b.top), std::min(all.left, b.left), std::max(all.bottom, b.bottom),
           std::max(all.right, b.right)};
  const std::optional<SourceSpan> joint = source_span_of(all, h, w, plane.rows, plane.cols);
  if (!joint || (joint->row0 == 0 && joint->col0 == 0 && joint->row1 == plane.rows - 1 &&
                 joint->col1 == plane.cols - 1))
    return {};

  auto area = [](const SourceSpan& s) { return (s.row1 - s.row0 + 1) * (s.col1 - s.col0 + 1); };
  std::vector<SourceSpan> spans;
  int64_t separate_area = 0;
  for (const PixelBox& b : request.boxes) {
    spans.push_back(*source_span_of(b, h, w, plane.rows, plane.cols));
    separate_area += area(spans.back());
  }
  if (area(*joint) <= separate_area) {
    const torch::Tensor crop = plane_crops(ws, block, {*joint}, request.noise).front();
    return std::vector<FeatureWindow>(request.boxes.size(),
                                      resize_span(crop, *joint, h, w, plane.rows, plane.cols));
  }
  const std::vector<torch::Tensor> crops = plane_crops(ws, block, spans, request.noise);
  std::vector<FeatureWindow> windows;
  for (size_t j = 0; j < spans.size(); ++j)
    windows.push_back(resize_span(crops[j], spans[j], h, w, plane.rows, plane.cols));
  return windows;
}

std::shared_ptr<GeneratorModel> StyleGAN2Model::clone() {
  return make_stylegan2_model(config(), state_dict_of(*network_), "generator copy", device());
}

namespace {

// The largest layers' shapes as the config implies them, checked before the network (and its random init) is
// built: a config that claims far more channels than the file holds (a hostile or mismatched snapshot) fails
// here, naming the tensor, instead of allocating gigabytes first.
void check_large_tensors(const GeneratorConfig& c, const StateDict& tensors, const std::string& origin) {
  auto expect = [&](const std::string& name, const std::vector<int64_t>& shape) {
    const auto it = tensors.find(name);
    if (it == tensors.end()) throw CheckpointError(origin + ": missing tensor '" + name + "'");
    if (it->second.sizes() != torch::IntArrayRef(shape))
      throw CheckpointError(origin + ": tensor '" + name + "' has shape " + c10::str(it->second.sizes()) +
                            ", the architecture implies " + c10::str(torch::IntArrayRef(shape)));
  };
  expect("synthesis.b4.const", {c.channels_at(4), 4, c.map_width(4)});
  for (int r : c.block_resolutions()) {
    const int64_t ch = c.channels_at(r);
    expect("synthesis.b" + std::to_string(r) + ".conv1.weight", {ch, ch, 3, 3});
  }
  const int64_t features = c.layer_features.value_or(c.w_dim);
  const int64_t embed = c.c_dim > 0 ? c.embed_features.value_or(c.w_dim) : 0;
  const int last = c.mapping_layers - 1;
  expect("mapping.fc0.weight", {last == 0 ? c.w_dim : features, c.z_dim + embed});
  if (last > 0) expect("mapping.fc" + std::to_string(last) + ".weight", {c.w_dim, features});
}

}  // namespace

std::shared_ptr<StyleGAN2Model> make_stylegan2_model(const GeneratorConfig& config, const StateDict& tensors,
                                                     const std::string& origin, torch::Device device) {
  check_large_tensors(config, tensors, origin);
  Generator g(config);
  load_state_dict(*g, tensors, origin);
  g->eval();
  for (auto& p : g->parameters()) p.set_requires_grad(false);
  g->to(device);
  return std::make_shared<StyleGAN2Model>(g);
}

GeneratorConfig generator_config_at(const nlohmann::json& config, const std::string& origin) {
  try {
    return GeneratorConfig::from_json(config);
  } catch (const CheckpointError& e) {
    throw CheckpointError(origin + ": " + e.what());
  }
}

GeneratorFamily stylegan2_family() {
  GeneratorFamily f;
  f.name = "stylegan2";
  f.matches_snapshot = [](const nlohmann::json&, const StateDict& tensors) {
    const auto c = tensors.find("synthesis.b4.const");
    return c != tensors.end() && c->second.dim() == 3 && c->second.size(1) == c->second.size(2) &&
           tensors.count("mapping.w_avg") > 0;
  };
  f.config_from_snapshot = [](const nlohmann::json& kwargs, const StateDict&) {
    return generator_config_from_nvidia_kwargs(kwargs).to_json();
  };
  f.build = [](const nlohmann::json& config, const StateDict& tensors, const std::string& origin,
               torch::Device device) -> GeneratorPtr {
    const GeneratorConfig c = generator_config_at(config, origin);
    if (!c.square)
      throw CheckpointError(origin + ": generator config has \"square\": false, which is the stylegan-human family, "
                            "not stylegan2");
    return make_stylegan2_model(c, tensors, origin, device);
  };
  return f;
}

}  // namespace draggan
