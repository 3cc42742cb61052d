#include "draggan/train/StyleMixing.h"

namespace draggan {

torch::Tensor map_with_style_mixing(Generator& g, const torch::Tensor& z, double prob, bool update_w_avg,
                                    const BatchRows& batch_rows) {
  torch::Tensor ws = g->mapping->forward(z, {}, 1.0, -1, update_w_avg);
  const int64_t num_ws = ws.size(1);
  if (prob <= 0 || num_ws < 2) return ws;
  // Both draws happen every time, so the RNG stream does not depend on the outcome.
  const int64_t cutoff = torch::randint(1, num_ws, {1}, torch::kLong).item<int64_t>();
  const bool mix = torch::rand({1}).item<double>() < prob;
  if (!mix) return ws;
  const torch::Tensor other_z =
      batch_rows.whole() ? torch::randn_like(z)
                         : batch_rows.select(torch::randn({batch_rows.total(), z.size(1)}, z.options()));
  torch::Tensor other = g->mapping->forward(other_z, {}, 1.0, -1, false);
  using torch::indexing::Slice;
  return torch::cat({ws.index({Slice(), Slice(0, cutoff)}), other.index({Slice(), Slice(cutoff)})}, 1);
}

}  // namespace draggan
