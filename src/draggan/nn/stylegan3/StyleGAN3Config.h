// The architecture of a StyleGAN3 generator (configs T and R), named after NVIDIA's init kwargs, and the layer
// geometry the official SynthesisNetwork derives from it: per-layer sampling rates, cutoffs, sizes (with the
// margin), channels, up/down factors, filter lengths and paddings.
#pragma once
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace draggan::stylegan3 {

struct LayerSpec {
  std::string name;  // "L5_52_64": index, output size, output channels (the checkpoint's module name)
  bool is_torgb = false;
  bool is_critically_sampled = false;
  bool use_fp16 = false;  // recorded only: this implementation runs float32 everywhere
  int in_channels = 0, out_channels = 0;
  int in_size = 0, out_size = 0;  // square, margin included
  int in_sampling_rate = 0, out_sampling_rate = 0, tmp_sampling_rate = 0;
  double in_cutoff = 0, out_cutoff = 0, in_half_width = 0, out_half_width = 0;
  int conv_kernel = 3;
  int up_factor = 1, down_factor = 1;
  int up_taps = 1, down_taps = 1;  // 1 = no filter (no buffer in the checkpoint)
  bool down_radial = false;        // the down filter is a 2-D radially symmetric one [taps, taps]
  std::array<int64_t, 4> padding{};  // x_before, x_after, y_before, y_after, on the up-sampled image
};

struct StyleGAN3Config {
  int z_dim = 512;
  int c_dim = 0;
  int w_dim = 512;
  int img_resolution = 256;
  int img_channels = 3;

  // Mapping network (its stylegan3 defaults: 2 layers).
  int mapping_layers = 2;
  double mapping_lr_multiplier = 0.01;
  double w_avg_beta = 0.998;

  // Synthesis network.
  int channel_base = 32768;
  int channel_max = 512;
  int num_layers = 14;    // excluding the Fourier input and ToRGB
  int num_critical = 2;   // critically sampled layers at the end
  double first_cutoff = 2.0;
  double first_stopband = 4.2870938501451725;  // 2**2.1
  double last_stopband_rel = 1.2311444133449163;  // 2**0.3
  int margin_size = 10;
  double output_scale = 0.25;
  int num_fp16_res = 4;  // recorded only

  // Synthesis layers.
  int conv_kernel = 3;  // R: 1
  int filter_size = 6;
  int lrelu_upsampling = 2;
  bool use_radial_filters = false;  // R: true
  std::optional<double> conv_clamp = 256.0;
  double magnitude_ema_beta = 0.999;

  int num_ws() const { return num_layers + 2; }
  // "T" or "R" (R = radial filters); the family is "stylegan3-t" / "stylegan3-r".
  std::string architecture() const { return use_radial_filters ? "R" : "T"; }
  std::string family() const { return use_radial_filters ? "stylegan3-r" : "stylegan3-t"; }

  // Fourier input: channels, size, sampling rate and bandwidth of the official SynthesisInput.
  int input_channels() const;
  int input_size() const;
  double input_sampling_rate() const;
  double input_bandwidth() const;

  // L0 .. L{num_layers} (the last is ToRGB), as the official SynthesisNetwork builds them.
  std::vector<LayerSpec> layers() const;

  // Throws CheckpointError("generator config: ...") for what cannot be built, or would allocate absurd amounts.
  void validate() const;

  nlohmann::json to_json() const;
  static StyleGAN3Config from_json(const nlohmann::json& j);

  // The official training configs (stylegan3 train.py --cfg=stylegan3-t / -r) at `resolution`, z = w = 512:
  // T: channel_base 32768, channel_max 512; R: twice those, conv_kernel 1, radial filters.
  static StyleGAN3Config official(bool radial, int resolution);
};

}  // namespace draggan::stylegan3
