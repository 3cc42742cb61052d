#include "draggan/nn/MinibatchStd.h"

#include <algorithm>

#include "draggan/core/Error.h"

namespace draggan {

torch::Tensor minibatch_std(const torch::Tensor& x, std::optional<int> group_size, int num_channels) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t g = group_size ? std::min<int64_t>(*group_size, n) : n;
  if (n % g != 0)
    throw InputError("minibatch stddev: batch size " + std::to_string(n) + " is not a multiple of the group size " +
                     std::to_string(g));
  const int64_t f = num_channels;
  // Sample i belongs to group i % (N / G), as in the official reshape(G, -1, ...).
  torch::Tensor y = x.reshape({g, -1, f, c / f, h, w});
  y = y - y.mean(0);
  y = (y.square().mean(0) + 1e-8).sqrt();  // [n, F, c, H, W]
  y = y.mean({2, 3, 4}).reshape({-1, f, 1, 1});
  y = y.repeat({g, 1, h, w});
  return torch::cat({x, y}, 1);
}

}  // namespace draggan
