#include "draggan/eval/RegionMetrics.h"

#include <cmath>
#include <limits>
#include <string>

#include "draggan/core/Error.h"
#include "draggan/invert/PerceptualLoss.h"

namespace draggan {
namespace {

// float64 [C, H, W] planes of both images and the outside mask [H, W] as float64, after the checks.
struct Planes {
  torch::Tensor a, b, outside;
};

Planes check(const torch::Tensor& before, const torch::Tensor& after, const torch::Tensor& region, const char* what) {
  if (!before.defined() || !after.defined() || before.sizes() != after.sizes() ||
      before.scalar_type() != torch::kUInt8 || after.scalar_type() != torch::kUInt8 ||
      (before.dim() != 2 && before.dim() != 3))
    throw InputError(std::string(what) + ": expected two uint8 [H, W, C] images of the same shape");
  if (!region.defined() || region.dim() != 2 || region.size(0) != before.size(0) || region.size(1) != before.size(1))
    throw InputError(std::string(what) + ": region must be [H, W] like the images");
  auto planes = [](const torch::Tensor& t) {
    torch::Tensor x = t.to(torch::kCPU, torch::kFloat64);
    return t.dim() == 2 ? x.unsqueeze(0) : x.permute({2, 0, 1}).contiguous();
  };
  return {planes(before), planes(after), region.to(torch::kCPU).logical_not().to(torch::kFloat64)};
}

}  // namespace

std::optional<double> psnr_outside(const torch::Tensor& before, const torch::Tensor& after,
                                   const torch::Tensor& region) {
  const Planes p = check(before, after, region, "PSNR outside");
  const double count = p.outside.sum().item<double>();
  if (count == 0.0) return std::nullopt;
  const double mse = ((p.a - p.b).square() * p.outside).sum().item<double>() / (count * p.a.size(0));
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

std::optional<double> ssim_outside(const torch::Tensor& before, const torch::Tensor& after,
                                   const torch::Tensor& region) {
  const Planes p = check(before, after, region, "SSIM outside");
  const double count = p.outside.sum().item<double>();
  if (count == 0.0) return std::nullopt;
  constexpr int kTaps = 11;
  constexpr double kSigma = 1.5;
  const double c1 = std::pow(0.01 * 255.0, 2), c2 = std::pow(0.03 * 255.0, 2);
  torch::Tensor g = torch::arange(kTaps, torch::kFloat64) - (kTaps - 1) / 2.0;
  g = torch::exp(-g.square() / (2 * kSigma * kSigma));
  g = g / g.sum();
  const torch::Tensor gh = g.view({1, 1, 1, kTaps}), gv = g.view({1, 1, kTaps, 1});
  constexpr int64_t pad = kTaps / 2;
  // Zero-padded Gaussian sums divided by the window's weight inside the image: a local mean at every pixel.
  const std::vector<int64_t> unit{1, 1}, pad_cols{0, pad}, pad_rows{pad, 0};
  auto smooth = [&](const torch::Tensor& t) {
    return torch::conv2d(torch::conv2d(t.unsqueeze(1), gh, torch::Tensor(), unit, pad_cols), gv, torch::Tensor(), unit,
                         pad_rows);
  };
  const torch::Tensor weight = smooth(torch::ones({1, p.a.size(1), p.a.size(2)}, torch::kFloat64));
  auto mean = [&](const torch::Tensor& t) { return smooth(t) / weight; };
  const torch::Tensor mu_a = mean(p.a), mu_b = mean(p.b);
  const torch::Tensor var_a = mean(p.a * p.a) - mu_a.square();
  const torch::Tensor var_b = mean(p.b * p.b) - mu_b.square();
  const torch::Tensor cov = mean(p.a * p.b) - mu_a * mu_b;
  const torch::Tensor map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) /
                            ((mu_a.square() + mu_b.square() + c1) * (var_a + var_b + c2));  // [C, 1, H, W]
  return (map.squeeze(1) * p.outside).sum().item<double>() / (count * p.a.size(0));
}

torch::Tensor paste_region(const torch::Tensor& before, const torch::Tensor& after, const torch::Tensor& region) {
  check(before, after, region, "paste_region");
  torch::Tensor where = region.to(before.device());
  if (before.dim() == 3) where = where.unsqueeze(-1);
  return torch::where(where, before, after);
}

double perceptual_distance_outside(PerceptualLoss& metric, const torch::Tensor& before, const torch::Tensor& after,
                                   const torch::Tensor& region, torch::Device device) {
  torch::NoGradGuard no_grad;
  auto nchw = [device](const torch::Tensor& hwc) {
    torch::Tensor x = hwc.dim() == 2 ? hwc.unsqueeze(-1) : hwc;
    return x.permute({2, 0, 1}).unsqueeze(0).to(device, torch::kFloat32) / 127.5 - 1.0;
  };
  const torch::Tensor pasted = paste_region(before, after, region);
  return metric.distance(nchw(before), nchw(pasted)).item<double>();
}

}  // namespace draggan
