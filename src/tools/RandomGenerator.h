// Random generators of the official StyleGAN2 shapes for the benchmarks (speed does not depend on the weights),
// and a "lively" variant for inversion benchmarks: the official initialisation leaves biases at zero and w_avg at
// the origin, so every parameter is nudged (as the test fixtures were made) to give images with structure.
#pragma once
#include <memory>

#include "draggan/core/StateDict.h"
#include "draggan/nn/DiscriminatorConfig.h"
#include "draggan/nn/stylegan2/GeneratorConfig.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"

namespace draggan::tools {

// stylegan2 256-px configs (channel_base 16384, 24.8 M parameters), ffhq 512 (32768, 30.3 M) and 1024; InputError
// otherwise. human: the same networks with StyleGAN-Human's 2:1 maps (the same weights, maps half as wide).
GeneratorConfig official_shape(int resolution, bool human = false);

struct RandomModel {
  std::shared_ptr<StyleGAN2Model> generator;  // eval mode, no gradients
  StateDict discriminator;                    // empty unless asked for
  DiscriminatorConfig discriminator_config;
};

// lively: every bias, noise strength and w_avg perturbed; with_discriminator: a D of the matching shape (the
// perceptual term of `project`'s auto choice). Seeded: the same arguments give the same weights.
RandomModel random_stylegan2(int resolution, bool lively, bool with_discriminator, uint64_t seed, torch::Device device,
                             bool human = false);

}  // namespace draggan::tools
