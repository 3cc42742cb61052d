#include "draggan/train/Augment.h"

#include <algorithm>
#include <cmath>

namespace draggan {
namespace {

// Reflects indices into [0, n - 1] (n >= 2): ..., 2, 1, [0, 1, ..., n-1], n-2, ...
torch::Tensor reflect(const torch::Tensor& idx, int64_t n) {
  const int64_t period = 2 * (n - 1);
  torch::Tensor m = torch::remainder(idx, period);
  return torch::where(m < n, m, period - m);
}

// Output pixel (y, x) of image i is input pixel (rows[i, y], cols[i, x]); rows [N, H], cols [N, W].
torch::Tensor gather_rows_cols(const torch::Tensor& images, const torch::Tensor& rows,
                               const torch::Tensor& cols) {
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  const torch::Tensor out = images.gather(2, rows.view({n, 1, h, 1}).expand({n, c, h, w}));
  return out.gather(3, cols.view({n, 1, 1, w}).expand({n, c, h, w}));
}

}  // namespace

torch::Tensor random_xflip(const torch::Tensor& images, double p, const BatchRows& batch_rows) {
  if (p <= 0) return images;
  torch::Tensor flip = batch_rows.draw(images.size(0), [&](int64_t n) {
    return torch::rand({n, 1, 1, 1}, images.options());
  }) < p;
  return torch::where(flip, images.flip(3), images);
}

torch::Tensor random_translate(const torch::Tensor& images, double p, double max_fraction,
                               const BatchRows& batch_rows) {
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  if (p <= 0 || h < 2 || w < 2) return images;
  auto opts = images.options().dtype(torch::kLong);
  torch::Tensor apply = batch_rows.draw(n, [&](int64_t k) {
    return torch::rand({k, 1}, images.options());
  }) < p;
  auto shift = [&](int64_t size) {
    const int64_t m = static_cast<int64_t>(std::floor(size * max_fraction));
    return torch::where(apply,
                        batch_rows.draw(n,
                                        [&](int64_t k) {
                                          return torch::randint(-m, m + 1, {k, 1}, opts);
                                        }),
                        torch::zeros({n, 1}, opts));
  };
  torch::Tensor ty = shift(h), tx = shift(w);
  torch::Tensor rows = reflect(torch::arange(h, opts).unsqueeze(0) - ty, h);  // [N, H]
  torch::Tensor cols = reflect(torch::arange(w, opts).unsqueeze(0) - tx, w);  // [N, W]
  return gather_rows_cols(images, rows, cols);
}

torch::Tensor random_shift(const torch::Tensor& images, int max_pixels, double fill,
                           const BatchRows& batch_rows) {
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  if (max_pixels <= 0) return images;
  auto opts = images.options().dtype(torch::kLong);
  const auto offsets = [&](int64_t k) { return torch::randint(-max_pixels, max_pixels + 1, {k, 1}, opts); };
  const torch::Tensor ty = batch_rows.draw(n, offsets);
  const torch::Tensor tx = batch_rows.draw(n, offsets);
  const torch::Tensor rows =
      torch::arange(h, opts).unsqueeze(0) - ty;  // source row of each output row, [N, H]
  const torch::Tensor cols = torch::arange(w, opts).unsqueeze(0) - tx;  // [N, W]
  const torch::Tensor inside =
      ((rows >= 0) & (rows < h)).view({n, 1, h, 1}) & ((cols >= 0) & (cols < w)).view({n, 1, 1, w});
  const torch::Tensor out = gather_rows_cols(images, rows.clamp(0, h - 1), cols.clamp(0, w - 1));
  return torch::where(inside, out, torch::full({}, fill, images.options()));
}

torch::Tensor random_warp(const torch::Tensor& images, double max_pixels, double fill,
                          const BatchRows& batch_rows) {
  namespace F = torch::nn::functional;
  if (max_pixels <= 0) return images;
  const int64_t n = images.size(0), h = images.size(2), w = images.size(3);
  const torch::Tensor amplitude = batch_rows.draw(n, [&](int64_t k) {
    return torch::rand({k, 1, 1, 1}, images.options());
  }) * max_pixels;
  const torch::Tensor lattice =
      (batch_rows.draw(n,
                       [&](int64_t k) {
                         return torch::rand({k, 2, kWarpGrid, kWarpGrid}, images.options());
                       }) *
           2 -
       1) *
      amplitude;
  const torch::Tensor field = F::interpolate(  // [N, 2 (x, y), H, W], pixels
      lattice,
      F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBicubic).align_corners(true));
  // grid_sample's coordinates (align_corners false): pixel centre j of a side n is at (2j + 1) / n - 1.
  const torch::Tensor xs = (torch::arange(w, images.options()) * 2 + 1) / static_cast<double>(w) - 1;
  const torch::Tensor ys = (torch::arange(h, images.options()) * 2 + 1) / static_cast<double>(h) - 1;
  const torch::Tensor gx = xs.view({1, 1, w}) + field.select(1, 0) * (2.0 / static_cast<double>(w));
  const torch::Tensor gy = ys.view({1, h, 1}) + field.select(1, 1) * (2.0 / static_cast<double>(h));
  const torch::Tensor grid = torch::stack({gx, gy}, -1);  // [N, H, W, 2]
  // Sampling (image - fill) with zero padding brings `fill` in from outside.
  return F::grid_sample(images - fill, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kZeros)
                            .align_corners(false)) +
         fill;
}

torch::Tensor AdaptiveAugment::apply(const torch::Tensor& images, const BatchRows& batch_rows) const {
  if (p_ <= 0) return images;
  return random_translate(random_xflip(images, p_, batch_rows), p_, kTranslateFraction, batch_rows);
}

void AdaptiveAugment::observe(const torch::Tensor& real_logits, int64_t iteration, int64_t batch) {
  observe_signs(real_logits.detach().sign().sum().item<double>(), real_logits.numel(), iteration, batch);
}

void AdaptiveAugment::observe_signs(double signs, int64_t count, int64_t iteration, int64_t batch) {
  sign_sum += signs;
  sign_count += count;
  if ((iteration + 1) % options_.interval != 0 || sign_count == 0) return;
  last_rt_ = sign_sum / static_cast<double>(sign_count);
  const double step = static_cast<double>(batch * options_.interval) / (options_.speed_kimg * 1000.0);
  const double direction = last_rt_ > options_.target ? 1.0 : (last_rt_ < options_.target ? -1.0 : 0.0);
  p_ = std::clamp(p_ + direction * step, 0.0, 1.0);
  sign_sum = 0.0;
  sign_count = 0;
}

}  // namespace draggan
