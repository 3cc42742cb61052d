// Reconstruction quality of a projection: PSNR and SSIM between two 8-bit images, the numbers `draggan project`
// prints and the tests threshold. Both work on what a person would compare: the uint8 pixels of the saved PNGs.
#pragma once
#include <torch/torch.h>

namespace draggan {

// a, b: uint8 [H, W, C] (or [H, W]) of the same shape, any device. 10 * log10(255^2 / MSE) in dB over every
// pixel and channel; +infinity for identical images. Throws InputError on mismatched or non-uint8 tensors.
double psnr(const torch::Tensor& a, const torch::Tensor& b);

// Structural similarity (Wang et al. 2004, the reference MATLAB ssim_index): 11x11 Gaussian window, sigma 1.5,
// K1 0.01, K2 0.03, dynamic range 255, statistics over the 'valid' window positions only (no padding), computed
// per channel and averaged over the map and the channels. Images must be at least 11x11.
double ssim(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace draggan
