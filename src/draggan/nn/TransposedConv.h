// A strided transposed convolution computed as one ordinary convolution per output phase.
//
// Why: the CPU LibTorch builds we run on (Debian's among them) execute conv_transpose2d through a slow
// col2im path, 20-30x slower than an ordinary convolution with the same arithmetic; the synthesis network's
// up-sampling layers spend most of a drag step there. Output pixels whose index has the same remainder
// modulo the stride ("phase") use the same sub-kernel (every stride-th tap), so each phase is a small ordinary
// convolution of the input; interleaving the phases gives the transposed convolution with the same number of
// multiply-adds.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace draggan {

// Same contract as torch::nn::functional::conv_transpose2d(x, weight, stride, padding, groups) with no bias,
// no output padding and dilation 1: weight [C_in, C_out / groups, kh, kw].
torch::Tensor conv_transpose2d_by_phases(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                                         int64_t pad_y, int64_t pad_x, int64_t groups, bool avoid_slow_kernel = true);

// The two halves of conv_transpose2d_by_phases, for callers that keep the stacked kernel while the weight does not
// change (the no-grad image path): every phase's sub-kernel of `weight`, stacked along the output channels as
// [groups, phase, C_out / groups] -> [groups * stride^2 * C_out / groups, C_in / groups, ceil(kh / stride),
// ceil(kw / stride)]. Scaling its input channels scales the weight's.
torch::Tensor stack_phase_kernels(const torch::Tensor& weight, int64_t stride, int64_t groups);
// The transposed convolution with `stacked` = stack_phase_kernels(weight, ...) of a kh x kw weight. The output has
// the input's memory format (channels-last stays channels-last).
torch::Tensor conv_transpose2d_stacked(const torch::Tensor& x, const torch::Tensor& stacked, int64_t kh, int64_t kw,
                                       int64_t stride, int64_t pad_y, int64_t pad_x, int64_t groups,
                                       bool avoid_slow_kernel = true);

// The same transposed convolution (groups 1) with each phase as its own convolution of its own sub-kernel,
// without the zero taps that stacking pads the shorter ones with (a 3x3 kernel at stride 2: 9 taps instead of
// 16). Twice as fast here as the stacked product on the synthesis network's up-sampling layers, but its sums
// are ordered differently: for paths that need no bitwise agreement with the stacked one (the no-grad image).
// split_phase_kernels(weight [C_in, C_out, kh, kw], stride): per phase ry * stride + rx, [C_out, C_in, ty,
// tx] (an undefined tensor for a phase no tap reaches).
std::vector<torch::Tensor> split_phase_kernels(const torch::Tensor& weight, int64_t stride);
torch::Tensor conv_transpose2d_split(const torch::Tensor& x, const std::vector<torch::Tensor>& kernels,
                                     int64_t kh, int64_t kw, int64_t stride, int64_t pad_y, int64_t pad_x);

}  // namespace draggan
