// Every hyperparameter of a training run (the stylegan2-ada small-data recipe), stored in each checkpoint so
// `--resume` continues with exactly the same settings.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "draggan/nn/DiscriminatorConfig.h"
#include "draggan/nn/stylegan2/GeneratorConfig.h"

namespace draggan {

struct TrainConfig {
  int resolution = 32;
  int channels = 1;
  int batch = 32;
  int64_t seed = 0;

  // Networks (the generator config is derived from these; the discriminator shares channel_base/max).
  int z_dim = 512;
  int w_dim = 512;
  int mapping_layers = 2;
  int channel_base = 16384;
  int channel_max = 512;

  double g_lr = 0.0025;
  double d_lr = 0.0025;
  double r1_gamma = -1;      // < 0: the stylegan2-ada heuristic 0.0002 * resolution^2 / batch
  int r1_interval = 16;      // lazy R1: every N iterations (its Adam lr/betas are adjusted to match)
  double pl_weight = 0;      // path-length regularisation of G (StyleGAN2's configs: 2); 0 = off
  int pl_interval = 4;  // lazy: every N iterations, G's Adam adjusted as for R1 (only when pl_weight > 0)
  double style_mixing = 0.9;
  double ema_kimg = -1;      // < 0: batch * 10 / 32 (stylegan3's default)
  double ema_rampup = 0.05;
  int mbstd_group = 4;
  bool xflip = true;         // dataset x-flip of real images (p = 0.5)
  int real_shift = 0;        // real images moved by up to this many pixels each way, black coming in (leaks)
  double real_warp = 0;      // real images bent by smooth fields of up to this many pixels (random_warp)
  std::string augment = "ada";  // "ada" or "none"
  double ada_target = 0.6;
  double ada_kimg = 100;

  double effective_r1_gamma() const;
  double effective_ema_kimg() const;
  GeneratorConfig generator_config() const;
  DiscriminatorConfig discriminator_config() const;

  // This configuration with the options a run may change on `--resume` without invalidating the checkpoint
  // taken from `run`: how the real images are moved and bent (fine-tuning a centred model on moved garments)
  // and the path-length weight.
  TrainConfig with_run_options_of(const TrainConfig& run) const;

  // Throws InputError naming the option on a bad value.
  void validate() const;
  nlohmann::json to_json() const;
  static TrainConfig from_json(const nlohmann::json& j);
};

}  // namespace draggan
