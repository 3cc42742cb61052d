// The architecture of a StyleGAN2 generator: everything needed to build it before loading weights.
// Field names follow NVIDIA's init kwargs so checkpoints map onto it directly.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace draggan {

struct GeneratorConfig {
  int z_dim = 512;
  int c_dim = 0;
  int w_dim = 512;
  int img_resolution = 256;
  int img_channels = 3;

  // Mapping network.
  int mapping_layers = 8;
  std::optional<int> embed_features;  // default: w_dim (only used when c_dim > 0)
  std::optional<int> layer_features;  // default: w_dim
  double mapping_lr_multiplier = 0.01;
  double w_avg_beta = 0.998;

  // Synthesis network.
  int channel_base = 32768;
  int channel_max = 512;
  int num_fp16_res = 0;                 // kept for CUDA fp16 parity; CPU always runs float32
  std::optional<double> conv_clamp;     // none = no clamping
  std::string architecture = "skip";    // "orig", "skip" or "resnet"
  std::vector<float> resample_filter{1, 3, 3, 1};
  bool use_noise = true;
  // false: StyleGAN-Human's 2:1 layout (stylegan-human/StyleGAN-Human, `square=False`): the map of the block
  // at resolution r (its const input, noise, features and image) is r rows by r/2 columns. The weights have the
  // same shapes either way; only the const input and the noise maps differ.
  bool square = true;

  // Derived layout.
  std::vector<int> block_resolutions() const;  // 4, 8, ..., img_resolution
  int num_blocks() const;
  int channels_at(int resolution) const;       // min(channel_base / res, channel_max)
  int map_width(int resolution) const { return square ? resolution : resolution / 2; }  // columns at a block
  int img_width() const { return map_width(img_resolution); }                           // rows: img_resolution
  int num_ws() const;                           // per-layer w vectors the synthesis consumes
  int fp16_resolution() const;                  // blocks at >= this resolution are fp16 on CUDA

  // Throws CheckpointError if the combination cannot be built (resolution not a power of two, ...).
  void validate() const;

  nlohmann::json to_json() const;
  static GeneratorConfig from_json(const nlohmann::json& j);
};

}  // namespace draggan
