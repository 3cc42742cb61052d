#include "draggan/nn/MappingNetwork.h"

#include <string>

#include "draggan/core/Error.h"

namespace draggan {

torch::Tensor normalize_2nd_moment(const torch::Tensor& x, int64_t dim, double eps) {
  return x * (x.square().mean(dim, /*keepdim=*/true) + eps).rsqrt();
}

MappingNetworkImpl::MappingNetworkImpl(const MappingOptions& options) : options_(options) {
  const int c_dim = options_.c_dim, w_dim = options_.w_dim;
  const int embed_features = c_dim > 0 ? options_.embed_features.value_or(w_dim) : 0;
  const int layer_features = options_.layer_features.value_or(w_dim);
  const int n = options_.num_layers;

  // Official registration order: embed, fc0..fcN-1, then the w_avg buffer.
  if (c_dim > 0) embed = register_module("embed", FullyConnectedLayer(FullyConnectedOptions{c_dim, embed_features}));
  for (int i = 0; i < n; ++i) {
    FullyConnectedOptions o;
    o.in_features = i == 0 ? options_.z_dim + embed_features : layer_features;
    o.out_features = i == n - 1 ? w_dim : layer_features;
    o.activation = Activation::LeakyReLU;
    o.lr_multiplier = options_.lr_multiplier;
    layers.push_back(register_module("fc" + std::to_string(i), FullyConnectedLayer(o)));
  }
  w_avg = register_buffer("w_avg", torch::zeros({w_dim}));
}

torch::Tensor MappingNetworkImpl::forward(const torch::Tensor& z, const torch::Tensor& c, double psi, int cutoff,
                                          bool update_w_avg) {
  const int z_dim = options_.z_dim, c_dim = options_.c_dim;
  torch::Tensor x;
  if (z_dim > 0) {
    if (!z.defined() || z.dim() != 2 || z.size(1) != z_dim)
      throw InputError("mapping: z must have shape [N, " + std::to_string(z_dim) + "]");
    x = normalize_2nd_moment(z.to(torch::kFloat32));
  }
  if (c_dim > 0) {
    if (!c.defined() || c.dim() != 2 || c.size(1) != c_dim)
      throw InputError("mapping: this generator is conditional; c must have shape [N, " + std::to_string(c_dim) + "]");
    if (x.defined() && c.size(0) != x.size(0)) throw InputError("mapping: z and c batch sizes differ");
    torch::Tensor y = normalize_2nd_moment(embed->forward(c.to(torch::kFloat32)));
    x = x.defined() ? torch::cat({x, y}, 1) : y;
  }
  for (auto& layer : layers) x = layer->forward(x);

  if (update_w_avg) {
    torch::NoGradGuard no_grad;
    w_avg.copy_(x.detach().mean(0).lerp(w_avg, options_.w_avg_beta));
  }

  torch::Tensor ws = x.unsqueeze(1).repeat({1, options_.num_ws, 1});
  return truncate(ws, psi, cutoff);
}

torch::Tensor MappingNetworkImpl::truncate(const torch::Tensor& ws, double psi, int cutoff) const {
  return truncate(ws, psi, cutoff, w_avg);
}

torch::Tensor MappingNetworkImpl::truncate(const torch::Tensor& ws, double psi, int cutoff,
                                           const torch::Tensor& center_in) const {
  if (psi == 1.0) return ws;
  // [N, w_dim] centres broadcast over the layers of their own sample.
  const torch::Tensor center = center_in.dim() == 2 ? center_in.unsqueeze(1) : center_in;
  if (cutoff < 0 || cutoff >= ws.size(1)) return center.lerp(ws, psi);
  torch::Tensor head = center.lerp(ws.narrow(1, 0, cutoff), psi);
  return torch::cat({head, ws.narrow(1, cutoff, ws.size(1) - cutoff)}, 1);
}

torch::Tensor MappingNetworkImpl::w_avg_after_first_call(const torch::Tensor& mapped) const {
  const torch::Tensor x = mapped.dim() == 3 ? mapped.select(1, 0) : mapped;
  // The official update is x.mean(0).lerp(w_avg, beta) over the call's batch; a batch of one is x itself (the
  // mean of one value is exact), and the same lerp keeps the rounding.
  return x.detach().lerp(w_avg.unsqueeze(0), options_.w_avg_beta);
}

}  // namespace draggan
