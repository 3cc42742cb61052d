// An ordinary 2-D convolution that avoids LibTorch's slow CPU kernel for single small images.
//
// Why: for a batch of one image of at most 20480 values with a kernel of at most 3x3, LibTorch 1.13 on CPU
// skips oneDNN for its native im2col kernel, which is 10-15x slower here (a 512-channel 4x4 convolution:
// 15 ms against 1.5 ms for an 8x8 one). The synthesis network's first blocks are exactly that case, every
// drag step. A batch of two takes the oneDNN path; the second copy is dropped, and so is its gradient.
#pragma once
#include <torch/torch.h>

namespace draggan {

// avoid_slow_kernel = false leaves the choice to LibTorch (the official code's rounding, for parity checks).
torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::nn::functional::Conv2dFuncOptions& options, bool avoid_slow_kernel = true);

}  // namespace draggan
