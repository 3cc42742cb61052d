#include "draggan/nn/stylegan2/Generator.h"

namespace draggan {

namespace {

MappingOptions mapping_options(const GeneratorConfig& config, int num_ws) {
  MappingOptions o;
  o.z_dim = config.z_dim;
  o.c_dim = config.c_dim;
  o.w_dim = config.w_dim;
  o.num_ws = num_ws;
  o.num_layers = config.mapping_layers;
  o.embed_features = config.embed_features;
  o.layer_features = config.layer_features;
  o.lr_multiplier = config.mapping_lr_multiplier;
  o.w_avg_beta = config.w_avg_beta;
  return o;
}

}  // namespace

GeneratorImpl::GeneratorImpl(const GeneratorConfig& config) : config_(config) {
  config_.validate();
  // Official order: synthesis first (it defines num_ws), then mapping.
  synthesis = register_module("synthesis", SynthesisNetwork(config_));
  mapping = register_module("mapping", MappingNetwork(mapping_options(config_, synthesis->num_ws())));
}

torch::Tensor GeneratorImpl::map(const torch::Tensor& z, const torch::Tensor& c, double psi, int cutoff) {
  return mapping->forward(z, c, psi, cutoff);
}

SynthesisResult GeneratorImpl::synthesize(const torch::Tensor& ws, const SynthesisRequest& request) {
  return synthesis->forward(ws, request);
}

torch::Tensor GeneratorImpl::forward(const torch::Tensor& z, const torch::Tensor& c, double psi, NoiseMode noise) {
  SynthesisRequest request;
  request.noise = noise;
  request.image_only = !torch::GradMode::is_enabled();
  return synthesis->forward(mapping->forward(z, c, psi), request).image;
}

}  // namespace draggan
