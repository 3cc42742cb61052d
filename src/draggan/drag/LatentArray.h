// A start latent from an array in memory (a saved .npy's contents, a Python caller's numpy array or torch
// tensor), in any of the shapes a latent file may have.
#pragma once
#include <torch/torch.h>

#include <string>

#include "draggan/model/GeneratorModel.h"

namespace draggan {

// [1, num_ws, w_dim], [num_ws, w_dim], [1, w_dim] / [w_dim] (a W vector, broadcast to every layer) or
// [1, 1, w_dim], any float dtype -> ws [1, num_ws, w_dim] float32 on `device`. InputError naming `origin` on any
// other shape or dtype, or on NaN/infinity. No copy when it is already float32 [1, num_ws, w_dim], contiguous, on
// `device`.
torch::Tensor latent_from_tensor(const torch::Tensor& latent, const LatentLayout& layout, torch::Device device,
                                 const std::string& origin);

}  // namespace draggan
