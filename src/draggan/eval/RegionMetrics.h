// How much of an image survived a drag outside the region the drag was meant to move. The images are the uint8
// pixels a person sees (and the report saves), so the numbers can be recomputed from the PNGs.
#pragma once
#include <torch/torch.h>

#include <optional>

namespace draggan {

class PerceptualLoss;

// before, after: uint8 [H, W, C] (or [H, W]) of the same shape; region: bool [H, W], true = moved (excluded).
// PSNR (dB, 255 peak) over the pixels and channels outside the region; +infinity when they are identical;
// nullopt when nothing is outside.
std::optional<double> psnr_outside(const torch::Tensor& before, const torch::Tensor& after, const torch::Tensor& region);

// SSIM (Gaussian window sigma 1.5, 11 taps, K1 0.01, K2 0.03, range 255) computed at every pixel, the window
// renormalised where it leaves the image (small images keep their borders), averaged over the pixels outside the
// region and over channels. nullopt when nothing is outside.
std::optional<double> ssim_outside(const torch::Tensor& before, const torch::Tensor& after, const torch::Tensor& region);

// `after` with the region's pixels taken from `before`: a whole-image metric of (before, this) sees only what
// changed outside the region (LPIPS's receptive fields still blur the seam a little).
torch::Tensor paste_region(const torch::Tensor& before, const torch::Tensor& after, const torch::Tensor& region);

// LPIPS (or any perceptual distance) between before and paste_region(before, after, region), computed on `device`
// (where the metric's weights are).
double perceptual_distance_outside(PerceptualLoss& metric, const torch::Tensor& before, const torch::Tensor& after,
                                   const torch::Tensor& region, torch::Device device);

}  // namespace draggan
