// Style mixing regularisation: with probability `prob`, the layers from a random cutoff on take their w from a
// second latent, so the generator cannot assume adjacent styles are correlated.
#pragma once
#include <torch/torch.h>

#include "draggan/core/BatchRows.h"
#include "draggan/nn/stylegan2/Generator.h"

namespace draggan {

// z [N, z_dim] -> ws [N, num_ws, w_dim], mixed as the official loss does (one cutoff for the whole batch,
// drawn from the global torch RNG). update_w_avg as in Generator::map. batch_rows: z holds these rows of a
// batch split across processes (the second latents are drawn for the whole batch and cut to them).
torch::Tensor map_with_style_mixing(Generator& g, const torch::Tensor& z, double prob,
                                    bool update_w_avg = false, const BatchRows& batch_rows = {});

}  // namespace draggan
