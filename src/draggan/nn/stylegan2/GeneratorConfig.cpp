#include "draggan/nn/stylegan2/GeneratorConfig.h"

#include <algorithm>
#include <cmath>

#include "draggan/core/Error.h"

namespace draggan {

std::vector<int> GeneratorConfig::block_resolutions() const {
  std::vector<int> res;
  for (int r = 4; r <= img_resolution; r *= 2) res.push_back(r);
  return res;
}

int GeneratorConfig::num_blocks() const { return static_cast<int>(block_resolutions().size()); }

int GeneratorConfig::channels_at(int resolution) const { return std::min(channel_base / resolution, channel_max); }

int GeneratorConfig::num_ws() const {
  // Every block has one conv per w, except b4 which has only conv1; toRGB of the last block takes one more.
  int n = 0;
  for (int r : block_resolutions()) n += (r == 4) ? 1 : 2;
  return n + 1;
}

int GeneratorConfig::fp16_resolution() const {
  int log2res = static_cast<int>(std::lround(std::log2(img_resolution)));
  return std::max(1 << std::max(log2res + 1 - num_fp16_res, 0), 8);
}

void GeneratorConfig::validate() const {
  auto fail = [](const std::string& what) { throw CheckpointError("generator config: " + what); };
  if (img_resolution < 4 || img_resolution > 4096 || (img_resolution & (img_resolution - 1)) != 0)
    fail("img_resolution must be a power of two in 4..4096, got " + std::to_string(img_resolution));
  if (z_dim < 0 || z_dim > 65536) fail("z_dim out of range: " + std::to_string(z_dim));
  if (w_dim <= 0 || w_dim > 65536) fail("w_dim out of range: " + std::to_string(w_dim));
  if (c_dim < 0 || c_dim > 1 << 20) fail("c_dim out of range: " + std::to_string(c_dim));
  if (z_dim == 0 && c_dim == 0) fail("z_dim and c_dim are both 0");
  if (img_channels <= 0 || img_channels > 16) fail("img_channels out of range: " + std::to_string(img_channels));
  if (mapping_layers < 1 || mapping_layers > 64) fail("mapping layers out of range: " + std::to_string(mapping_layers));
  if (channel_base <= 0 || channel_max <= 0) fail("channel_base and channel_max must be positive");
  if (channels_at(img_resolution) <= 0) fail("channel_base too small for the resolution: a block would have 0 channels");
  if (architecture != "orig" && architecture != "skip" && architecture != "resnet")
    fail("unknown architecture '" + architecture + "' (expected orig, skip or resnet)");
  if (resample_filter.empty() || resample_filter.size() > 16) fail("resample_filter must have 1..16 taps");
}

nlohmann::json GeneratorConfig::to_json() const {
  nlohmann::json j{{"z_dim", z_dim},
                   {"c_dim", c_dim},
                   {"w_dim", w_dim},
                   {"img_resolution", img_resolution},
                   {"img_channels", img_channels},
                   {"mapping_layers", mapping_layers},
                   {"mapping_lr_multiplier", mapping_lr_multiplier},
                   {"w_avg_beta", w_avg_beta},
                   {"channel_base", channel_base},
                   {"channel_max", channel_max},
                   {"num_fp16_res", num_fp16_res},
                   {"architecture", architecture},
                   {"resample_filter", resample_filter},
                   {"use_noise", use_noise},
                   {"square", square}};
  j["conv_clamp"] = conv_clamp ? nlohmann::json(*conv_clamp) : nlohmann::json(nullptr);
  j["embed_features"] = embed_features ? nlohmann::json(*embed_features) : nlohmann::json(nullptr);
  j["layer_features"] = layer_features ? nlohmann::json(*layer_features) : nlohmann::json(nullptr);
  return j;
}

GeneratorConfig GeneratorConfig::from_json(const nlohmann::json& j) {
  GeneratorConfig c;
  try {
    if (!j.is_object()) throw CheckpointError("generator config: expected a JSON object");
    auto get = [&](const char* key, auto& field) {
      if (j.contains(key) && !j.at(key).is_null()) field = j.at(key).get<std::decay_t<decltype(field)>>();
    };
    auto get_opt = [&](const char* key, auto& field) {
      if (j.contains(key) && !j.at(key).is_null()) field = j.at(key).get<typename std::decay_t<decltype(field)>::value_type>();
    };
    get("z_dim", c.z_dim);
    get("c_dim", c.c_dim);
    get("w_dim", c.w_dim);
    get("img_resolution", c.img_resolution);
    get("img_channels", c.img_channels);
    get("mapping_layers", c.mapping_layers);
    get("mapping_lr_multiplier", c.mapping_lr_multiplier);
    get("w_avg_beta", c.w_avg_beta);
    get("channel_base", c.channel_base);
    get("channel_max", c.channel_max);
    get("num_fp16_res", c.num_fp16_res);
    get("architecture", c.architecture);
    get("resample_filter", c.resample_filter);
    get("use_noise", c.use_noise);
    get("square", c.square);  // absent in files from before StyleGAN-Human: square
    get_opt("conv_clamp", c.conv_clamp);
    get_opt("embed_features", c.embed_features);
    get_opt("layer_features", c.layer_features);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(std::string("generator config: ") + e.what());
  }
  c.validate();
  return c;
}

}  // namespace draggan
