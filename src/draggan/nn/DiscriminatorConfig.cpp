#include "draggan/nn/DiscriminatorConfig.h"

#include <algorithm>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

template <typename T>
void read_field(const nlohmann::json& j, const char* key, T& field) {
  if (j.contains(key) && !j.at(key).is_null()) field = j.at(key).get<T>();
}

template <typename T>
void read_optional(const nlohmann::json& j, const char* key, std::optional<T>& field) {
  if (!j.contains(key)) return;
  if (j.at(key).is_null())
    field.reset();
  else
    field = j.at(key).get<T>();
}

}  // namespace

std::vector<int> DiscriminatorConfig::block_resolutions() const {
  std::vector<int> res;
  for (int r = img_resolution; r >= 8; r /= 2) res.push_back(r);
  return res;
}

int DiscriminatorConfig::channels_at(int resolution) const { return std::min(channel_base / resolution, channel_max); }

void DiscriminatorConfig::validate() const {
  auto fail = [](const std::string& what) { throw CheckpointError("discriminator config: " + what); };
  if (img_resolution < 8 || img_resolution > 4096 || (img_resolution & (img_resolution - 1)) != 0)
    fail("img_resolution must be a power of two in 8..4096, got " + std::to_string(img_resolution));
  if (img_channels <= 0 || img_channels > 16) fail("img_channels out of range: " + std::to_string(img_channels));
  if (c_dim < 0 || c_dim > 1 << 20) fail("c_dim out of range: " + std::to_string(c_dim));
  if (c_dim > 0) fail("conditional discriminators (c_dim > 0) are not supported");
  if (channel_base <= 0 || channel_max <= 0) fail("channel_base and channel_max must be positive");
  if (channels_at(img_resolution) <= 0) fail("channel_base too small for the resolution: a block would have 0 channels");
  if (architecture != "orig" && architecture != "skip" && architecture != "resnet")
    fail("unknown architecture '" + architecture + "' (expected orig, skip or resnet)");
  if (resample_filter.empty() || resample_filter.size() > 16) fail("resample_filter must have 1..16 taps");
  if (mbstd_group_size && *mbstd_group_size < 1) fail("mbstd_group_size must be >= 1");
  if (mbstd_num_channels < 0) fail("mbstd_num_channels must be >= 0");
  if (mbstd_num_channels > 0 && channels_at(4) % mbstd_num_channels != 0)
    fail("channels at 4x4 must be divisible by mbstd_num_channels");
}

nlohmann::json DiscriminatorConfig::to_json() const {
  auto opt = [](const auto& o) { return o ? nlohmann::json(*o) : nlohmann::json(nullptr); };
  return nlohmann::json{{"c_dim", c_dim},
                        {"img_resolution", img_resolution},
                        {"img_channels", img_channels},
                        {"architecture", architecture},
                        {"channel_base", channel_base},
                        {"channel_max", channel_max},
                        {"num_fp16_res", num_fp16_res},
                        {"conv_clamp", opt(conv_clamp)},
                        {"cmap_dim", opt(cmap_dim)},
                        {"resample_filter", resample_filter},
                        {"freeze_layers", freeze_layers},
                        {"mbstd_group_size", opt(mbstd_group_size)},
                        {"mbstd_num_channels", mbstd_num_channels},
                        {"square", square}};
}

DiscriminatorConfig DiscriminatorConfig::from_json(const nlohmann::json& j) {
  DiscriminatorConfig c;
  try {
    if (!j.is_object()) throw CheckpointError("discriminator config: expected a JSON object");
    read_field(j, "c_dim", c.c_dim);
    read_field(j, "img_resolution", c.img_resolution);
    read_field(j, "img_channels", c.img_channels);
    read_field(j, "architecture", c.architecture);
    read_field(j, "channel_base", c.channel_base);
    read_field(j, "channel_max", c.channel_max);
    read_field(j, "num_fp16_res", c.num_fp16_res);
    read_optional(j, "conv_clamp", c.conv_clamp);
    read_optional(j, "cmap_dim", c.cmap_dim);
    read_field(j, "resample_filter", c.resample_filter);
    read_field(j, "freeze_layers", c.freeze_layers);
    read_optional(j, "mbstd_group_size", c.mbstd_group_size);
    read_field(j, "mbstd_num_channels", c.mbstd_num_channels);
    read_field(j, "square", c.square);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(std::string("discriminator config: ") + e.what());
  }
  c.validate();
  return c;
}

DiscriminatorConfig DiscriminatorConfig::from_nvidia_kwargs(const nlohmann::json& kw) {
  DiscriminatorConfig c;
  try {
    if (!kw.is_object()) throw CheckpointError("discriminator kwargs: expected a JSON object");
    for (const char* key : {"c_dim", "img_resolution", "img_channels"})
      if (!kw.contains(key)) throw CheckpointError(std::string("discriminator kwargs: missing '") + key + "'");
    read_field(kw, "c_dim", c.c_dim);
    read_field(kw, "img_resolution", c.img_resolution);
    read_field(kw, "img_channels", c.img_channels);
    read_field(kw, "architecture", c.architecture);
    read_field(kw, "channel_base", c.channel_base);
    read_field(kw, "channel_max", c.channel_max);
    read_field(kw, "num_fp16_res", c.num_fp16_res);
    read_optional(kw, "conv_clamp", c.conv_clamp);
    read_optional(kw, "cmap_dim", c.cmap_dim);
    read_field(kw, "square", c.square);  // StyleGAN-Human's discriminator
    if (kw.contains("block_kwargs") && kw.at("block_kwargs").is_object()) {
      const auto& b = kw.at("block_kwargs");
      read_field(b, "freeze_layers", c.freeze_layers);
      read_field(b, "resample_filter", c.resample_filter);
      if (b.contains("activation") && b.at("activation") != "lrelu")
        throw CheckpointError("discriminator kwargs: only the 'lrelu' activation is supported");
    }
    if (kw.contains("epilogue_kwargs") && kw.at("epilogue_kwargs").is_object()) {
      const auto& e = kw.at("epilogue_kwargs");
      read_optional(e, "mbstd_group_size", c.mbstd_group_size);
      read_field(e, "mbstd_num_channels", c.mbstd_num_channels);
    }
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(std::string("discriminator kwargs: ") + e.what());
  }
  c.validate();
  return c;
}

DiscriminatorConfig DiscriminatorConfig::from_any_json(const nlohmann::json& j) {
  if (j.is_object() && (j.contains("epilogue_kwargs") || j.contains("block_kwargs"))) return from_nvidia_kwargs(j);
  return from_json(j);
}

}  // namespace draggan
