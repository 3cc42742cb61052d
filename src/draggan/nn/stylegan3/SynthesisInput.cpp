#include "draggan/nn/stylegan3/SynthesisInput.h"

#include <cmath>

namespace draggan::stylegan3 {

using torch::indexing::Slice;

SynthesisInputImpl::SynthesisInputImpl(const SynthesisInputOptions& options) : options_(options) {
  const int64_t c = options.channels;
  // Random frequencies inside the band disc and random phases, as the official initialisation draws them
  // (checkpoints overwrite them; this matters for models built from a config alone).
  torch::Tensor f = torch::randn({c, 2});
  torch::Tensor radii = f.square().sum(1, true).sqrt();
  f = f / (radii * radii.square().exp().pow(0.25)) * options.bandwidth;

  // Official registration order: weight, affine, then the buffers.
  weight = register_parameter("weight", torch::randn({c, c}));
  FullyConnectedOptions a;
  a.in_features = options.w_dim;
  a.out_features = 4;
  affine = register_module("affine", FullyConnectedLayer(a));
  {
    torch::NoGradGuard no_grad;
    affine->weight.zero_();  // weight_init 0, bias_init [1, 0, 0, 0]: the identity transform at the start
    affine->bias.copy_(torch::tensor({1.0f, 0.0f, 0.0f, 0.0f}));
  }
  transform = register_buffer("transform", torch::eye(3));
  freqs = register_buffer("freqs", f);
  phases = register_buffer("phases", torch::rand({c}) - 0.5);
}

torch::Tensor SynthesisInputImpl::forward(const torch::Tensor& w) {
  const int64_t n = w.size(0), c = options_.channels, size = options_.size;
  const auto opts = w.options().dtype(torch::kFloat32);

  // The learned similarity transform t = (r_c, r_s, t_x, t_y), rotation normalised to unit length; the same
  // op sequence as the official code (built with stack instead of in-place assignment: the same values).
  torch::Tensor t = affine->forward(w);
  t = t / t.slice(1, 0, 2).norm(2, {1}, true);
  torch::Tensor zero = torch::zeros({n}, opts), one = torch::ones({n}, opts);
  torch::Tensor rc = t.select(1, 0), rs = t.select(1, 1), tx = t.select(1, 2), ty = t.select(1, 3);
  torch::Tensor m_r = torch::stack({rc, -rs, zero, rs, rc, zero, zero, zero, one}, 1).view({n, 3, 3});
  torch::Tensor m_t = torch::stack({one, zero, -tx, zero, one, -ty, zero, zero, one}, 1).view({n, 3, 3});
  torch::Tensor transforms = torch::matmul(torch::matmul(m_r, m_t), transform.unsqueeze(0));

  // Rotate and translate the frequencies; fade out those the user transform pushed out of the band.
  torch::Tensor f = freqs.unsqueeze(0);
  torch::Tensor p = phases.unsqueeze(0) + torch::matmul(f, transforms.index({Slice(), Slice(0, 2), Slice(2, 3)})).squeeze(2);
  f = torch::matmul(f, transforms.index({Slice(), Slice(0, 2), Slice(0, 2)}));
  const double bw = options_.bandwidth, sr = options_.sampling_rate;
  torch::Tensor amplitudes = (1 - (f.norm(2, {2}) - bw) / (sr / 2 - bw)).clamp(0, 1);

  // The sampling grid of the official affine_grid call: pixel centres spanning size / sampling_rate units.
  torch::Tensor theta = torch::eye(2, 3, opts);
  {
    torch::NoGradGuard no_grad;
    theta.index_put_({0, 0}, 0.5 * size / sr);
    theta.index_put_({1, 1}, 0.5 * size / sr);
  }
  torch::Tensor grids = torch::nn::functional::affine_grid(theta.unsqueeze(0), {1, 1, size, size}, false);

  torch::Tensor x = torch::matmul(grids.unsqueeze(3), f.permute({0, 2, 1}).unsqueeze(1).unsqueeze(2)).squeeze(3);
  x = x + p.unsqueeze(1).unsqueeze(2);
  x = torch::sin(x * (M_PI * 2));
  x = x * amplitudes.unsqueeze(1).unsqueeze(2);
  x = torch::matmul(x, (weight / std::sqrt(static_cast<double>(c))).t());
  return x.permute({0, 3, 1, 2});  // [N, C, H, W]
}

}  // namespace draggan::stylegan3
