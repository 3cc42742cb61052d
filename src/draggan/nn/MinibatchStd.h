// Minibatch standard deviation (official MinibatchStdLayer): appends, per group of G samples, the mean standard
// deviation of the features as extra channels, so the discriminator can see a lack of variety in a batch.
#pragma once
#include <torch/torch.h>

#include <optional>

namespace draggan {

// x [N, C, H, W] -> [N, C + num_channels, H, W]. G = min(group_size, N) (all of N when group_size is none);
// N must be a multiple of G (InputError otherwise).
torch::Tensor minibatch_std(const torch::Tensor& x, std::optional<int> group_size, int num_channels);

}  // namespace draggan
