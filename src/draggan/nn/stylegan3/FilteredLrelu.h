// StyleGAN3's filtered leaky ReLU for NCHW images: add the bias, up-sample (zero insertion, pad/crop, FIR
// filter fu with gain up^2), leaky ReLU with gain and clamp at the higher sampling rate, FIR filter fd and keep
// every down-th pixel. The alias-free non-linearity of "Alias-Free Generative Adversarial Networks".
#pragma once
#include <torch/torch.h>

#include <array>
#include <optional>

namespace draggan::stylegan3 {

struct FilteredLreluOptions {
  int up = 1;
  int down = 1;
  std::array<int64_t, 4> padding{};  // x_before, x_after, y_before, y_after on the up-sampled image
  double gain = 1.4142135623730951;  // sqrt(2); ToRGB uses 1
  double slope = 0.2;                // ToRGB uses 1 (linear)
  std::optional<double> clamp;
};

// The official reference sequence (bias_act, upfirdn2d, bias_act, upfirdn2d), op for op: what the official
// code runs on the CPU. fu / fd: [taps] (separable), [taps, taps], or undefined (identity).
torch::Tensor filtered_lrelu_reference(const torch::Tensor& x, const torch::Tensor& fu, const torch::Tensor& fd,
                                       const torch::Tensor& bias, const FilteredLreluOptions& options);

// The same function without the multiplications by inserted zeros or by discarded samples: each up-sampling
// pass runs by phases (every up-th tap on the original samples), each down-sampling pass as a strided
// convolution. The products that remain are the reference's, summed in the same order (equal to the
// reference in practice; tests allow float rounding); two to three times less work.
torch::Tensor filtered_lrelu_fast(const torch::Tensor& x, const torch::Tensor& fu, const torch::Tensor& fd,
                                  const torch::Tensor& bias, const FilteredLreluOptions& options);

// The output size of a length-`in` axis: (in * up + pad0 + pad1 - (fu_taps - 1) - (fd_taps - 1) + down - 1) / down.
int64_t filtered_lrelu_output_size(int64_t in, int up, int down, int64_t pad0, int64_t pad1, int64_t fu_taps,
                                   int64_t fd_taps);

}  // namespace draggan::stylegan3
