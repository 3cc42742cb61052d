// z (+ optional class label c) -> per-layer latents ws [N, num_ws, w_dim] (official MappingNetwork).
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/nn/FullyConnectedLayer.h"
#include "draggan/nn/stylegan2/GeneratorConfig.h"

namespace draggan {

class MappingNetworkImpl : public torch::nn::Module {
 public:
  MappingNetworkImpl(const GeneratorConfig& config, int num_ws);

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

  int num_ws() const { return num_ws_; }

 private:
  int z_dim_, c_dim_, w_dim_, num_ws_;
  double w_avg_beta_;
};
TORCH_MODULE(MappingNetwork);

// x * rsqrt(mean(x^2, dim) + eps): the official normalize_2nd_moment.
torch::Tensor normalize_2nd_moment(const torch::Tensor& x, int64_t dim = 1, double eps = 1e-8);

}  // namespace draggan
