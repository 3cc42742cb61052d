#include "draggan/nn/stylegan3/StyleGAN3Config.h"

#include <algorithm>
#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/nn/stylegan3/PythonIntegerDivision.h"

namespace draggan::stylegan3 {
namespace {

[[noreturn]] void fail(const std::string& what) { throw CheckpointError("generator config: " + what); }

// The official per-layer progression, in float64 as numpy computes it: index 0..num_layers.
struct Progression {
  std::vector<double> cutoffs, stopbands, sampling_rates, half_widths, sizes, channels;
};

Progression progression(const StyleGAN3Config& c) {
  Progression p;
  const int n = c.num_layers + 1;
  const double last_cutoff = c.img_resolution / 2.0;
  const double last_stopband = last_cutoff * c.last_stopband_rel;
  for (int i = 0; i < n; ++i) {
    const double exponent = std::min(static_cast<double>(i) / (c.num_layers - c.num_critical), 1.0);
    const double cutoff = c.first_cutoff * std::pow(last_cutoff / c.first_cutoff, exponent);
    const double stopband = c.first_stopband * std::pow(last_stopband / c.first_stopband, exponent);
    const double rate = std::exp2(std::ceil(std::log2(std::min(stopband * 2, static_cast<double>(c.img_resolution)))));
    p.cutoffs.push_back(cutoff);
    p.stopbands.push_back(stopband);
    p.sampling_rates.push_back(rate);
    p.half_widths.push_back(std::max(stopband, rate / 2) - cutoff);
    p.sizes.push_back(rate + c.margin_size * 2);
    // np.rint: round half to even (the default floating-point rounding mode).
    p.channels.push_back(std::nearbyint(std::min((c.channel_base / 2.0) / cutoff, static_cast<double>(c.channel_max))));
  }
  for (int i = std::max(n - 2, 0); i < n; ++i) p.sizes[i] = c.img_resolution;
  p.channels[n - 1] = c.img_channels;
  return p;
}

}  // namespace

int StyleGAN3Config::input_channels() const { return static_cast<int>(progression(*this).channels[0]); }
int StyleGAN3Config::input_size() const { return static_cast<int>(progression(*this).sizes[0]); }
double StyleGAN3Config::input_sampling_rate() const { return progression(*this).sampling_rates[0]; }
double StyleGAN3Config::input_bandwidth() const { return progression(*this).cutoffs[0]; }

std::vector<LayerSpec> StyleGAN3Config::layers() const {
  const Progression p = progression(*this);
  std::vector<LayerSpec> out;
  for (int idx = 0; idx <= num_layers; ++idx) {
    const int prev = std::max(idx - 1, 0);
    LayerSpec l;
    l.is_torgb = idx == num_layers;
    l.is_critically_sampled = idx >= num_layers - num_critical;
    l.use_fp16 = p.sampling_rates[idx] * std::exp2(num_fp16_res) > img_resolution;
    l.in_channels = static_cast<int>(p.channels[prev]);
    l.out_channels = static_cast<int>(p.channels[idx]);
    l.in_size = static_cast<int>(p.sizes[prev]);
    l.out_size = static_cast<int>(p.sizes[idx]);
    l.in_sampling_rate = static_cast<int>(p.sampling_rates[prev]);
    l.out_sampling_rate = static_cast<int>(p.sampling_rates[idx]);
    l.in_cutoff = p.cutoffs[prev];
    l.out_cutoff = p.cutoffs[idx];
    l.in_half_width = p.half_widths[prev];
    l.out_half_width = p.half_widths[idx];
    l.tmp_sampling_rate = std::max(l.in_sampling_rate, l.out_sampling_rate) * (l.is_torgb ? 1 : lrelu_upsampling);
    l.conv_kernel = l.is_torgb ? 1 : conv_kernel;
    l.up_factor = static_cast<int>(std::nearbyint(static_cast<double>(l.tmp_sampling_rate) / l.in_sampling_rate));
    l.down_factor = static_cast<int>(std::nearbyint(static_cast<double>(l.tmp_sampling_rate) / l.out_sampling_rate));
    l.up_taps = l.up_factor > 1 && !l.is_torgb ? filter_size * l.up_factor : 1;
    l.down_taps = l.down_factor > 1 && !l.is_torgb ? filter_size * l.down_factor : 1;
    l.down_radial = use_radial_filters && !l.is_critically_sampled;
    // Desired size before down-sampling, minus the up-sampled input, plus what the two filters take away; the
    // extra up_factor shifts the samples to the symmetric interpretation of the official code.
    int64_t pad_total = static_cast<int64_t>(l.out_size - 1) * l.down_factor + 1;
    pad_total -= static_cast<int64_t>(l.in_size + l.conv_kernel - 1) * l.up_factor;
    pad_total += l.up_taps + l.down_taps - 2;
    const int64_t pad_lo = floor_div(pad_total + l.up_factor, 2);
    const int64_t pad_hi = pad_total - pad_lo;
    l.padding = {pad_lo, pad_hi, pad_lo, pad_hi};
    l.name = "L" + std::to_string(idx) + "_" + std::to_string(l.out_size) + "_" + std::to_string(l.out_channels);
    out.push_back(l);
  }
  return out;
}

void StyleGAN3Config::validate() const {
  auto in_range = [](double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; };
  if (img_resolution < 4 || img_resolution > 4096)
    fail("img_resolution must be in 4..4096, got " + std::to_string(img_resolution));
  if (z_dim < 0 || z_dim > 65536) fail("z_dim out of range: " + std::to_string(z_dim));
  if (w_dim <= 0 || w_dim > 65536) fail("w_dim out of range: " + std::to_string(w_dim));
  if (c_dim < 0 || c_dim > 1 << 20) fail("c_dim out of range: " + std::to_string(c_dim));
  if (z_dim == 0 && c_dim == 0) fail("z_dim and c_dim are both 0");
  if (img_channels <= 0 || img_channels > 16) fail("img_channels out of range: " + std::to_string(img_channels));
  if (mapping_layers < 1 || mapping_layers > 64) fail("mapping layers out of range: " + std::to_string(mapping_layers));
  if (!in_range(mapping_lr_multiplier, 1e-12, 1e12)) fail("mapping lr_multiplier out of range");
  if (channel_base <= 0 || channel_max <= 0 || channel_max > 16384)
    fail("channel_base must be positive and channel_max in 1..16384, got " + std::to_string(channel_base) + " / " +
         std::to_string(channel_max));
  if (num_layers < 1 || num_layers > 64) fail("num_layers must be in 1..64, got " + std::to_string(num_layers));
  if (num_critical < 0 || num_critical >= num_layers)
    fail("num_critical must be in 0..num_layers-1, got " + std::to_string(num_critical));
  if (!in_range(first_cutoff, 1e-3, 1e4) || !in_range(first_stopband, 1e-3, 1e4) ||
      !in_range(last_stopband_rel, 1e-3, 1e3))
    fail("first_cutoff, first_stopband and last_stopband_rel must be positive and finite");
  if (margin_size < 0 || margin_size > 256) fail("margin_size must be in 0..256, got " + std::to_string(margin_size));
  if (!std::isfinite(output_scale)) fail("output_scale is not finite");
  if (num_fp16_res < 0 || num_fp16_res > 64) fail("num_fp16_res out of range: " + std::to_string(num_fp16_res));
  if (conv_kernel < 1 || conv_kernel > 15) fail("conv_kernel must be in 1..15, got " + std::to_string(conv_kernel));
  if (filter_size < 1 || filter_size > 64) fail("filter_size must be in 1..64, got " + std::to_string(filter_size));
  if (lrelu_upsampling < 1 || lrelu_upsampling > 16)
    fail("lrelu_upsampling must be in 1..16, got " + std::to_string(lrelu_upsampling));
  if (conv_clamp && !in_range(*conv_clamp, 0, 1e30)) fail("conv_clamp must be a non-negative number or None");
  if (!std::isfinite(magnitude_ema_beta)) fail("magnitude_ema_beta is not finite");

  // The geometry must be what the official constructor asserts, and small enough to allocate.
  const Progression p = progression(*this);
  for (double ch : p.channels)
    if (!(ch >= 1)) fail("channel_base too small for the resolution: a layer would have 0 channels");
  // Bounds far above any published model (1024-px R: ~2e7 weights, widest activation ~3e8 values), so that a
  // hostile config fails here instead of allocating.
  const double w = w_dim;
  double weights = (static_cast<double>(z_dim) + (c_dim > 0 ? w : 0)) * w + (mapping_layers - 1) * w * w +
                   static_cast<double>(c_dim) * w + p.channels[0] * p.channels[0];
  double widest = 0;
  for (const LayerSpec& l : layers()) {
    if (l.in_sampling_rate < 1 || l.out_sampling_rate < 1 || l.out_size < 1 || l.in_size < 1)
      fail(l.name + ": empty layer");
    if (l.in_sampling_rate * l.up_factor != l.tmp_sampling_rate ||
        l.out_sampling_rate * l.down_factor != l.tmp_sampling_rate)
      fail(l.name + ": sampling rates " + std::to_string(l.in_sampling_rate) + " -> " +
           std::to_string(l.out_sampling_rate) + " are not integer factors of " + std::to_string(l.tmp_sampling_rate));
    const int64_t conv_out = l.in_size + l.conv_kernel - 1;
    const int64_t upsampled = conv_out * l.up_factor + l.padding[0] + l.padding[1];
    if (upsampled < l.up_taps + l.down_taps - 1) fail(l.name + ": the filters are longer than the signal");
    const int64_t out = (upsampled - (l.up_taps - 1) - (l.down_taps - 1) + (l.down_factor - 1)) / l.down_factor;
    if (out != l.out_size) fail(l.name + ": the padding does not give the layer's size");
    weights += static_cast<double>(l.out_channels) * l.in_channels * l.conv_kernel * l.conv_kernel +
               static_cast<double>(w_dim) * l.in_channels;
    widest = std::max(widest, static_cast<double>(l.out_channels) * upsampled * upsampled);
  }
  if (weights > 2.5e8) fail("the generator would have more than 2.5e8 weights");
  if (widest > 6e8) fail("a synthesis layer would hold more than 6e8 values");
}

nlohmann::json StyleGAN3Config::to_json() const {
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
                   {"num_layers", num_layers},
                   {"num_critical", num_critical},
                   {"first_cutoff", first_cutoff},
                   {"first_stopband", first_stopband},
                   {"last_stopband_rel", last_stopband_rel},
                   {"margin_size", margin_size},
                   {"output_scale", output_scale},
                   {"num_fp16_res", num_fp16_res},
                   {"conv_kernel", conv_kernel},
                   {"filter_size", filter_size},
                   {"lrelu_upsampling", lrelu_upsampling},
                   {"use_radial_filters", use_radial_filters},
                   {"magnitude_ema_beta", magnitude_ema_beta}};
  j["conv_clamp"] = conv_clamp ? nlohmann::json(*conv_clamp) : nlohmann::json(nullptr);
  return j;
}

StyleGAN3Config StyleGAN3Config::from_json(const nlohmann::json& j) {
  StyleGAN3Config c;
  try {
    if (!j.is_object()) fail("expected a JSON object");
    auto get = [&](const char* key, auto& field) {
      if (j.contains(key) && !j.at(key).is_null()) field = j.at(key).get<std::decay_t<decltype(field)>>();
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
    get("num_layers", c.num_layers);
    get("num_critical", c.num_critical);
    get("first_cutoff", c.first_cutoff);
    get("first_stopband", c.first_stopband);
    get("last_stopband_rel", c.last_stopband_rel);
    get("margin_size", c.margin_size);
    get("output_scale", c.output_scale);
    get("num_fp16_res", c.num_fp16_res);
    get("conv_kernel", c.conv_kernel);
    get("filter_size", c.filter_size);
    get("lrelu_upsampling", c.lrelu_upsampling);
    get("use_radial_filters", c.use_radial_filters);
    get("magnitude_ema_beta", c.magnitude_ema_beta);
    if (j.contains("conv_clamp"))
      c.conv_clamp = j.at("conv_clamp").is_null() ? std::nullopt : std::optional<double>(j.at("conv_clamp").get<double>());
  } catch (const nlohmann::json::exception& e) {
    fail(e.what());
  }
  c.validate();
  return c;
}

StyleGAN3Config StyleGAN3Config::official(bool radial, int resolution) {
  StyleGAN3Config c;
  c.img_resolution = resolution;
  c.channel_base = radial ? 65536 : 32768;
  c.channel_max = radial ? 1024 : 512;
  c.conv_kernel = radial ? 1 : 3;
  c.use_radial_filters = radial;
  c.validate();
  return c;
}

}  // namespace draggan::stylegan3
