// z (+ optional class label c) -> per-layer latents ws [N, num_ws, w_dim] (official MappingNetwork). StyleGAN2
// and StyleGAN3 share it: they differ only in defaults (8 layers against 2) and in what the layer widths follow.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "draggan/nn/FullyConnectedLayer.h"

namespace draggan {

struct MappingOptions {
  int z_dim = 0;
  int c_dim = 0;
  int w_dim = 0;
  int num_ws = 0;
  int num_layers = 8;
  std::optional<int> embed_features;  // default: w_dim (only used when c_dim > 0)
  std::optional<int> layer_features;  // default: w_dim
  double lr_multiplier = 0.01;
  double w_avg_beta = 0.998;
};

class MappingNetworkImpl : public torch::nn::Module {
 public:
  explicit MappingNetworkImpl(const MappingOptions& options);

  // z [N, z_dim] (any float dtype; cast to float32), c [N, c_dim] (undefined when c_dim == 0).
  // Truncation towards w_avg with `psi` on the first `cutoff` ws (cutoff < 0: all of them).
  // update_w_avg: training-time moving average of W (the official update_emas), never during inference.
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& c = {}, double psi = 1.0, int cutoff = -1,
                        bool update_w_avg = false);

  // The truncation step alone, for callers that already hold ws: towards w_avg, or towards `center` ([w_dim], or
  // [N, w_dim] one per sample).
  torch::Tensor truncate(const torch::Tensor& ws, double psi, int cutoff = -1) const;
  torch::Tensor truncate(const torch::Tensor& ws, double psi, int cutoff, const torch::Tensor& center) const;

  // The w_avg a freshly loaded StyleGAN-Human renderer truncates towards (see StyleGAN2Model::map): its mapping
  // runs in training mode and moves w_avg one EMA step towards this call's output before truncating.
  // mapped: [N, w_dim] (or ws [N, num_ws, w_dim]) untruncated -> [N, w_dim], each sample as if it were alone.
  torch::Tensor w_avg_after_first_call(const torch::Tensor& mapped) const;

  torch::Tensor w_avg;  // [w_dim] buffer
  FullyConnectedLayer embed{nullptr};
  std::vector<FullyConnectedLayer> layers;  // registered as fc0, fc1, ...

  int num_ws() const { return options_.num_ws; }
  const MappingOptions& options() const { return options_; }

 private:
  MappingOptions options_;
};
TORCH_MODULE(MappingNetwork);

// x * rsqrt(mean(x^2, dim) + eps): the official normalize_2nd_moment.
torch::Tensor normalize_2nd_moment(const torch::Tensor& x, int64_t dim = 1, double eps = 1e-8);

}  // namespace draggan
