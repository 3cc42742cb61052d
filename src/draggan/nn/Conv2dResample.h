// 2-D convolution fused with FIR up-/down-sampling, with the padding conventions of NVIDIA's conv2d_resample:
// up-sampling runs as a stride-2 transposed convolution followed by the FIR filter, down-sampling filters first
// and then convolves with stride 2, so results match the official layers to float rounding.
#pragma once
#include <torch/torch.h>

#include "draggan/nn/Upfirdn2d.h"

namespace draggan {

struct Conv2dResampleOptions {
  int up = 1;
  int down = 1;
  int64_t padding = 0;       // symmetric, with respect to the up-sampled image
  int64_t groups = 1;
  bool flip_weight = true;   // true = correlation (torch conv2d), false = true convolution
  bool flip_filter = false;
  // true: leave the choice of convolution kernel to LibTorch, as the official code's calls do (closest to its
  // float rounding, for parity); false: avoid LibTorch's slow kernel for small single images (FastConv.h).
  bool official_kernels = false;
};

// x [N, C_in, H, W], w [C_out, C_in/groups, kh, kw], f the resample filter (ignored when up == down == 1).
torch::Tensor conv2d_resample(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& f,
                              const Conv2dResampleOptions& options);

}  // namespace draggan
