#include "draggan/nn/stylegan2/Generator.h"

namespace draggan {

GeneratorImpl::GeneratorImpl(const GeneratorConfig& config) : config_(config) {
  config_.validate();
  // Official order: synthesis first (it defines num_ws), then mapping.
  synthesis = register_module("synthesis", SynthesisNetwork(config_));
  mapping = register_module("mapping", MappingNetwork(config_, synthesis->num_ws()));
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
  return synthesis->forward(mapping->forward(z, c, psi), request).image;
}

}  // namespace draggan
