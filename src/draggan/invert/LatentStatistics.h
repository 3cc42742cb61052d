// Where W lives: the mean of many mapped z's (the projection's start point) and their spread (the scale of the
// exploration noise), measured as the stylegan2-ada projector does.
#pragma once
#include <torch/torch.h>

#include "draggan/model/GeneratorModel.h"

namespace draggan {

struct LatentStatistics {
  torch::Tensor w_avg;  // [1, 1, w_dim] float32 on the generator's device
  double w_std = 0.0;   // sqrt(mean over samples of ||w - w_avg||^2): one scalar for all dimensions
};

// Maps `samples` z's drawn from NumPy RandomState(123).randn(samples, z_dim) (the reference projector's draw).
// Unconditional models only: throws InputError when the generator has classes (c_dim > 0).
LatentStatistics latent_statistics(GeneratorModel& generator, int samples = 10000);

}  // namespace draggan
