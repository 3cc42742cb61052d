#include "draggan/train/TrainConfig.h"

#include <cmath>

#include "draggan/core/Error.h"

namespace draggan {

double TrainConfig::effective_r1_gamma() const {
  return r1_gamma >= 0 ? r1_gamma : 0.0002 * resolution * resolution / batch;
}

double TrainConfig::effective_ema_kimg() const { return ema_kimg >= 0 ? ema_kimg : batch * 10.0 / 32.0; }

GeneratorConfig TrainConfig::generator_config() const {
  GeneratorConfig g;
  g.z_dim = z_dim;
  g.w_dim = w_dim;
  g.img_resolution = resolution;
  g.img_channels = channels;
  g.mapping_layers = mapping_layers;
  g.channel_base = channel_base;
  g.channel_max = channel_max;
  g.num_fp16_res = 0;
  g.conv_clamp = 256.0;
  g.validate();
  return g;
}

DiscriminatorConfig TrainConfig::discriminator_config() const {
  DiscriminatorConfig d;
  d.img_resolution = resolution;
  d.img_channels = channels;
  d.channel_base = channel_base;
  d.channel_max = channel_max;
  d.num_fp16_res = 0;
  d.conv_clamp = 256.0;
  d.mbstd_group_size = mbstd_group;
  d.validate();
  return d;
}

TrainConfig TrainConfig::with_run_options_of(const TrainConfig& run) const {
  TrainConfig out = *this;
  out.real_shift = run.real_shift;
  out.real_warp = run.real_warp;
  out.pl_weight = run.pl_weight;
  return out;
}

void TrainConfig::validate() const {
  auto fail = [](const std::string& what) { throw InputError(what); };
  if (resolution < 8 || resolution > 1024 || (resolution & (resolution - 1)) != 0)
    fail("--resolution must be a power of two in 8..1024, got " + std::to_string(resolution));
  if (channels != 1 && channels != 3) fail("--channels must be 1 or 3, got " + std::to_string(channels));
  if (batch < 1 || batch > 4096) fail("--batch must be in 1..4096, got " + std::to_string(batch));
  if (batch % std::min(batch, mbstd_group) != 0)
    fail("--batch must be a multiple of the minibatch-stddev group (" + std::to_string(mbstd_group) + ")");
  if (z_dim < 1 || w_dim < 1) fail("--z-dim and --w-dim must be positive");
  if (mapping_layers < 1 || mapping_layers > 16) fail("--mapping-layers must be in 1..16");
  if (channel_base < 1 || channel_max < 1 || channel_base / resolution < 1)
    fail("--cbase must be at least the resolution (" + std::to_string(resolution) + ") and --cmax positive");
  if (!(g_lr > 0) || !(d_lr > 0)) fail("--lr must be positive");
  if (r1_interval < 1) fail("r1 interval must be >= 1");
  if (!(std::isfinite(pl_weight) && pl_weight >= 0 && pl_weight <= 100))
    fail("--pl-weight must be in 0..100, got " + std::to_string(pl_weight));
  if (pl_interval < 1) fail("path-length interval must be >= 1");
  if (style_mixing < 0 || style_mixing > 1) fail("style mixing probability must be in [0, 1]");
  if (real_shift < 0 || real_shift >= resolution / 2)
    fail("--real-shift must be in 0.." + std::to_string(resolution / 2 - 1) + " pixels, got " +
         std::to_string(real_shift));
  if (!(std::isfinite(real_warp) && real_warp >= 0 && real_warp <= resolution / 4.0))
    fail("--real-warp must be in 0.." + std::to_string(resolution / 4) + " pixels, got " +
         std::to_string(real_warp));
  if (augment != "ada" && augment != "none") fail("--aug must be 'ada' or 'none', got '" + augment + "'");
}

nlohmann::json TrainConfig::to_json() const {
  return {{"resolution", resolution},
          {"channels", channels},
          {"batch", batch},
          {"seed", seed},
          {"z_dim", z_dim},
          {"w_dim", w_dim},
          {"mapping_layers", mapping_layers},
          {"channel_base", channel_base},
          {"channel_max", channel_max},
          {"g_lr", g_lr},
          {"d_lr", d_lr},
          {"r1_gamma", r1_gamma},
          {"r1_interval", r1_interval},
          {"pl_weight", pl_weight},
          {"pl_interval", pl_interval},
          {"style_mixing", style_mixing},
          {"ema_kimg", ema_kimg},
          {"ema_rampup", ema_rampup},
          {"mbstd_group", mbstd_group},
          {"xflip", xflip},
          {"real_shift", real_shift},
          {"real_warp", real_warp},
          {"augment", augment},
          {"ada_target", ada_target},
          {"ada_kimg", ada_kimg}};
}

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
  TrainConfig c;
  try {
    auto get = [&](const char* key, auto& field) {
      if (j.contains(key) && !j.at(key).is_null()) field = j.at(key).get<std::decay_t<decltype(field)>>();
    };
    get("resolution", c.resolution);
    get("channels", c.channels);
    get("batch", c.batch);
    get("seed", c.seed);
    get("z_dim", c.z_dim);
    get("w_dim", c.w_dim);
    get("mapping_layers", c.mapping_layers);
    get("channel_base", c.channel_base);
    get("channel_max", c.channel_max);
    get("g_lr", c.g_lr);
    get("d_lr", c.d_lr);
    get("r1_gamma", c.r1_gamma);
    get("r1_interval", c.r1_interval);
    get("pl_weight", c.pl_weight);  // absent in checkpoints from before the option: 0 (off)
    get("pl_interval", c.pl_interval);
    get("style_mixing", c.style_mixing);
    get("ema_kimg", c.ema_kimg);
    get("ema_rampup", c.ema_rampup);
    get("mbstd_group", c.mbstd_group);
    get("xflip", c.xflip);
    get("real_shift", c.real_shift);  // absent in checkpoints from before the option: 0
    get("real_warp", c.real_warp);    // likewise
    get("augment", c.augment);
    get("ada_target", c.ada_target);
    get("ada_kimg", c.ada_kimg);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(std::string("train config: ") + e.what());
  }
  c.validate();
  return c;
}

}  // namespace draggan
