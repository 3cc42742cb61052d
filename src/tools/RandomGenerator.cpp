#include "RandomGenerator.h"

#include "draggan/core/Error.h"
#include "draggan/nn/Discriminator.h"

namespace draggan::tools {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

void enliven_generator(torch::nn::Module& g) {
  torch::NoGradGuard no_grad;
  for (auto& p : g.named_parameters()) {
    const std::string& name = p.key();
    if (name.rfind("mapping.", 0) == 0 && ends_with(name, "bias")) p.value().add_(torch::randn_like(p.value()) * 10);
    else if (ends_with(name, "bias") || ends_with(name, "noise_strength"))
      p.value().add_(torch::randn_like(p.value()) * 0.1);
  }
  for (auto& b : g.named_buffers())
    if (b.key() == "mapping.w_avg") b.value().copy_(torch::randn_like(b.value()) * 0.5);
}

}  // namespace

GeneratorConfig official_shape(int resolution, bool human) {
  if (resolution != 256 && resolution != 512 && resolution != 1024)
    throw InputError("--random-config must be 256, 512 or 1024");
  GeneratorConfig c;
  c.z_dim = c.w_dim = 512;
  c.mapping_layers = 8;
  c.img_resolution = resolution;
  c.channel_base = resolution == 256 ? 16384 : 32768;  // 1024: the ffhq config (cbase 32768, cmax 512) too
  c.channel_max = 512;
  c.conv_clamp = 256.0;
  c.square = !human;
  if (human) c.w_avg_beta = 0.995;
  return c;
}

RandomModel random_stylegan2(int resolution, bool lively, bool with_discriminator, uint64_t seed,
                             torch::Device device, bool human) {
  torch::manual_seed(seed);
  const GeneratorConfig config = official_shape(resolution, human);
  Generator network(config);
  if (lively) enliven_generator(*network);
  network->to(device);
  network->eval();
  for (auto& p : network->parameters()) p.requires_grad_(false);
  RandomModel model;
  model.generator = std::make_shared<StyleGAN2Model>(network);
  if (with_discriminator) {
    model.discriminator_config.img_resolution = resolution;
    model.discriminator_config.channel_base = config.channel_base;
    Discriminator d(model.discriminator_config);
    if (lively) {
      torch::NoGradGuard no_grad;
      for (auto& p : d->named_parameters())
        if (ends_with(p.key(), "bias")) p.value().add_(torch::randn_like(p.value()) * 0.1);
    }
    model.discriminator = state_dict_of(*d);
  }
  return model;
}

}  // namespace draggan::tools
