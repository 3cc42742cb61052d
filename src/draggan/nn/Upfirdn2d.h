// FIR resampling of NCHW images with the semantics of NVIDIA's upfirdn2d: insert zeros (up), pad or crop,
// convolve with a fixed low-pass filter, keep every down-th pixel. Used by the up-sampling convolutions, the
// skip architecture's image path and the resnet skip branches.
#pragma once
#include <torch/torch.h>

#include <array>
#include <vector>

namespace draggan {

// Padding as [x_before, x_after, y_before, y_after]; negative values crop.
using Padding4 = std::array<int64_t, 4>;

// The filter buffer as checkpoints store it: normalised to sum 1, 2-D outer product for short filters,
// 1-D (separable) from 8 taps on, like the official setup_filter defaults.
torch::Tensor setup_filter(const std::vector<float>& taps);

// f: [fh, fw] or [taps] (separable). gain scales the signal (the filter is multiplied by gain^(f.dim()/2)).
// flip_filter false = true convolution (the filter is flipped before a correlation), as the official op.
torch::Tensor upfirdn2d(const torch::Tensor& x, const torch::Tensor& f, int up = 1, int down = 1,
                        const Padding4& padding = {0, 0, 0, 0}, bool flip_filter = false, double gain = 1.0);

// Width and height of a filter buffer (1-D filters are square).
std::array<int64_t, 2> filter_size(const torch::Tensor& f);

// Up-/down-sample by `factor` with the output exactly factor times larger/smaller (official upsample2d / downsample2d).
torch::Tensor upsample2d(const torch::Tensor& x, const torch::Tensor& f, int up = 2);
torch::Tensor downsample2d(const torch::Tensor& x, const torch::Tensor& f, int down = 2);

// upsample2d for the no-grad image path: each output pixel summed directly from the few input pixels its filter
// taps meet (a quarter of the taps for 2x), without the zero-inserted and padded copies. Falls back to upsample2d
// when autograd needs the graph, off the CPU, for a dtype other than float32 or a separable (1-D) filter.
torch::Tensor upsample2d_direct(const torch::Tensor& x, const torch::Tensor& f, int up = 2);

}  // namespace draggan
