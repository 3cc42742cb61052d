#include "draggan/nn/stylegan3/SynthesisNetwork.h"

#include "draggan/core/Error.h"

namespace draggan::stylegan3 {

SynthesisNetworkImpl::SynthesisNetworkImpl(const StyleGAN3Config& config) : config_(config) {
  config_.validate();
  SynthesisInputOptions in;
  in.w_dim = config_.w_dim;
  in.channels = config_.input_channels();
  in.size = config_.input_size();
  in.sampling_rate = config_.input_sampling_rate();
  in.bandwidth = config_.input_bandwidth();
  input = register_module("input", SynthesisInput(in));
  for (const LayerSpec& spec : config_.layers()) {
    SynthesisLayerOptions o;
    o.spec = spec;
    o.w_dim = config_.w_dim;
    o.conv_clamp = config_.conv_clamp;
    layers.push_back(register_module(spec.name, SynthesisLayer(o)));
  }
}

SynthesisPass SynthesisNetworkImpl::forward(const torch::Tensor& ws, int stop_after_layer, bool keep_features,
                                            bool official_arithmetic) {
  if (!ws.defined() || ws.dim() != 3 || ws.size(1) != num_ws() || ws.size(2) != config_.w_dim)
    throw InputError("synthesis: ws must have shape [N, " + std::to_string(num_ws()) + ", " +
                     std::to_string(config_.w_dim) + "], got " + (ws.defined() ? c10::str(ws.sizes()) : "none"));
  const std::vector<torch::Tensor> w = ws.to(torch::kFloat32).unbind(1);
  SynthesisPass pass;
  torch::Tensor x = input->forward(w[0]);
  for (size_t i = 0; i < layers.size(); ++i) {
    x = layers[i]->forward(x, w[i + 1], official_arithmetic);
    if (keep_features) pass.features.push_back(x);
    if (static_cast<int>(i) == stop_after_layer) {
      if (!keep_features) pass.features.push_back(x);
      return pass;
    }
  }
  pass.image = config_.output_scale != 1.0 ? x * config_.output_scale : x;
  return pass;
}

}  // namespace draggan::stylegan3
