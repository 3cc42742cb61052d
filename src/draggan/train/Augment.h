// Augmentations for small data. Dataset x-flip mirrors real images only (it widens the data); the ADA-style
// pipeline transforms every image the discriminator sees, real and generated, with a probability p tuned so
// the discriminator cannot overfit (Karras et al. 2020: r_t = E[sign(D(real))] held near a target, 0.6). Only
// transformations that do not leak into the generator at p < 1 are used: x-flip and integer translation.
//
// Every function draws from the global torch RNG. `batch_rows` (core/BatchRows.h): the images are these rows
// of a batch split across processes; the draws are made for the whole batch and cut to them.
#pragma once
#include <torch/torch.h>

#include "draggan/core/BatchRows.h"

namespace draggan {

// Mirrors each image of [N, C, H, W] left-right with probability p (global torch RNG).
torch::Tensor random_xflip(const torch::Tensor& images, double p, const BatchRows& batch_rows = {});

// Moves each image by its own whole-pixel offset, dy and dx each uniform in [-max_pixels, max_pixels]; what
// comes in from outside is `fill`. Unlike ADA's translation this is meant to leak: a generator trained on
// centred data (Fashion-MNIST) has no latent way to move its subject, which is what a drag asks of it.
torch::Tensor random_shift(const torch::Tensor& images, int max_pixels, double fill,
                           const BatchRows& batch_rows = {});

// Bends each image by its own smooth random displacement field (a kWarpGrid x kWarpGrid lattice of offsets,
// each uniform in [-a, a] with a = max_pixels times a per-image uniform draw, bicubically interpolated;
// bilinear resampling, `fill` from outside). Meant to leak like random_shift: Fashion-MNIST's garments come
// in one pose, so a generator trained on them has no latent way to move one part of a garment and keep the
// rest, which is what a drag asks of it.
torch::Tensor random_warp(const torch::Tensor& images, double max_pixels, double fill,
                          const BatchRows& batch_rows = {});
constexpr int kWarpGrid = 4;

// Shifts each image by whole pixels (up to `max_fraction` of the size, reflect-padded) with probability p.
constexpr double kTranslateFraction = 0.125;
torch::Tensor random_translate(const torch::Tensor& images, double p,
                               double max_fraction = kTranslateFraction, const BatchRows& batch_rows = {});

struct AdaptiveAugmentOptions {
  double target = 0.6;   // wanted E[sign(D(real))]
  int interval = 4;      // iterations between adjustments
  double speed_kimg = 100;  // images needed to move p from 0 to 1 (stylegan3 uses 100, stylegan2-ada 500)
};

class AdaptiveAugment {
 public:
  explicit AdaptiveAugment(AdaptiveAugmentOptions options = {}, double p = 0.0) : options_(options), p_(p) {}

  // x-flip and translation, each with probability p; identity when p == 0.
  torch::Tensor apply(const torch::Tensor& images, const BatchRows& batch_rows = {}) const;
  // Records sign(real logits); every `interval` iterations moves p towards the target. `batch` images/iter.
  void observe(const torch::Tensor& real_logits, int64_t iteration, int64_t batch);
  // The same from the sum of the signs and their count (of a whole batch split across processes).
  void observe_signs(double sign_sum, int64_t count, int64_t iteration, int64_t batch);

  double p() const { return p_; }
  double rt() const { return last_rt_; }
  // Accumulators, so a checkpoint taken between adjustments resumes exactly.
  double sign_sum = 0.0;
  int64_t sign_count = 0;
  void set_p(double p) { p_ = p; }

 private:
  AdaptiveAugmentOptions options_;
  double p_;
  double last_rt_ = 0.0;
};

}  // namespace draggan
