// The architecture of a StyleGAN2 discriminator (official networks_stylegan2.Discriminator): everything needed to
// build it before loading weights. Field names follow NVIDIA's init kwargs, flattened (block_kwargs,
// epilogue_kwargs) so a checkpoint's kwargs map onto it directly.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace draggan {

struct DiscriminatorConfig {
  int c_dim = 0;
  int img_resolution = 256;
  int img_channels = 3;
  std::string architecture = "resnet";  // "orig", "skip" or "resnet"
  int channel_base = 32768;
  int channel_max = 512;
  int num_fp16_res = 4;                 // kept for the record; this implementation always runs float32
  std::optional<double> conv_clamp = 256.0;
  std::optional<int> cmap_dim;          // default: channels at 4x4 (only used when c_dim > 0)
  std::vector<float> resample_filter{1, 3, 3, 1};
  int freeze_layers = 0;                // Freeze-D: the first N layers hold buffers instead of parameters
  std::optional<int> mbstd_group_size = 4;  // none = the whole minibatch is one group
  int mbstd_num_channels = 1;               // 0 disables minibatch standard deviation
  bool square = true;  // false: StyleGAN-Human's 2:1 images (img_resolution rows, half as many columns)

  // Derived layout.
  std::vector<int> block_resolutions() const;  // img_resolution, ..., 8 (the order data flows)
  int channels_at(int resolution) const;       // min(channel_base / res, channel_max)
  int img_width() const { return square ? img_resolution : img_resolution / 2; }

  // Throws CheckpointError if the combination cannot be built.
  void validate() const;

  nlohmann::json to_json() const;
  static DiscriminatorConfig from_json(const nlohmann::json& j);
  // NVIDIA's Discriminator init kwargs (nested block_kwargs / epilogue_kwargs / mapping_kwargs), as pickled.
  static DiscriminatorConfig from_nvidia_kwargs(const nlohmann::json& kwargs);
  // Either form: ours has "mbstd_group_size" at top level, NVIDIA's nests it in "epilogue_kwargs".
  static DiscriminatorConfig from_any_json(const nlohmann::json& j);
};

}  // namespace draggan
