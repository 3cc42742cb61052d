#include "draggan/nn/stylegan3/Generator.h"

namespace draggan::stylegan3 {

GeneratorImpl::GeneratorImpl(const StyleGAN3Config& config) : config_(config) {
  config_.validate();
  // Official order: synthesis first (it defines num_ws), then mapping.
  synthesis = register_module("synthesis", SynthesisNetwork(config_));
  MappingOptions m;
  m.z_dim = config_.z_dim;
  m.c_dim = config_.c_dim;
  m.w_dim = config_.w_dim;
  m.num_ws = config_.num_ws();
  m.num_layers = config_.mapping_layers;
  m.lr_multiplier = config_.mapping_lr_multiplier;
  m.w_avg_beta = config_.w_avg_beta;
  mapping = register_module("mapping", MappingNetwork(m));
}

}  // namespace draggan::stylegan3
