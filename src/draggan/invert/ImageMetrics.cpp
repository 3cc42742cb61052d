#include "draggan/invert/ImageMetrics.h"

#include <cmath>
#include <limits>
#include <string>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

// Both images as float64 [C, H, W] on the CPU, after checking they are comparable.
std::pair<torch::Tensor, torch::Tensor> as_planes(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  if (!a.defined() || !b.defined()) throw InputError(std::string(what) + ": undefined image");
  if (a.scalar_type() != torch::kUInt8 || b.scalar_type() != torch::kUInt8)
    throw InputError(std::string(what) + ": expected uint8 images");
  if (a.sizes() != b.sizes())
    throw InputError(std::string(what) + ": image shapes differ: " + c10::str(a.sizes()) + " vs " +
                     c10::str(b.sizes()));
  if (a.dim() != 2 && a.dim() != 3) throw InputError(std::string(what) + ": expected [H, W] or [H, W, C]");
  if (a.numel() == 0) throw InputError(std::string(what) + ": empty image");
  auto planes = [](const torch::Tensor& t) {
    torch::Tensor x = t.to(torch::kCPU, torch::kFloat64);
    return t.dim() == 2 ? x.unsqueeze(0) : x.permute({2, 0, 1}).contiguous();
  };
  return {planes(a), planes(b)};
}

}  // namespace

double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  auto [x, y] = as_planes(a, b, "PSNR");
  const double mse = (x - y).square().mean().item<double>();
  if (mse == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

double ssim(const torch::Tensor& a, const torch::Tensor& b) {
  auto [x, y] = as_planes(a, b, "SSIM");
  constexpr int kWindow = 11;
  constexpr double kSigma = 1.5;
  if (x.size(1) < kWindow || x.size(2) < kWindow)
    throw InputError("SSIM: images must be at least 11x11, got " + c10::str(a.sizes()));
  const double c1 = std::pow(0.01 * 255.0, 2), c2 = std::pow(0.03 * 255.0, 2);

  torch::Tensor g = torch::arange(kWindow, torch::kFloat64) - (kWindow - 1) / 2.0;
  g = torch::exp(-g.square() / (2 * kSigma * kSigma));
  g = g / g.sum();
  // Separable Gaussian as two 1-D valid convolutions; channels are folded into the batch so each is its own map.
  const torch::Tensor gh = g.view({1, 1, 1, kWindow}), gv = g.view({1, 1, kWindow, 1});
  auto blur = [&](const torch::Tensor& t) {
    return torch::conv2d(torch::conv2d(t.unsqueeze(1), gh), gv);
  };
  const torch::Tensor mu_x = blur(x), mu_y = blur(y);
  const torch::Tensor var_x = blur(x * x) - mu_x.square();
  const torch::Tensor var_y = blur(y * y) - mu_y.square();
  const torch::Tensor cov = blur(x * y) - mu_x * mu_y;
  const torch::Tensor map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) /
                            ((mu_x.square() + mu_y.square() + c1) * (var_x + var_y + c2));
  return map.mean().item<double>();
}

}  // namespace draggan
