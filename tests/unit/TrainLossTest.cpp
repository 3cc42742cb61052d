// The pieces of a training step: losses, R1, Adam, EMA, augmentation, minibatch stddev.
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "draggan/core/Error.h"
#include "draggan/nn/MinibatchStd.h"
#include "draggan/train/AdamOptimizer.h"
#include "draggan/train/Augment.h"
#include "draggan/train/Ema.h"
#include "draggan/train/Losses.h"

namespace train_loss_test {

double softplus(double x) { return std::log1p(std::exp(x)); }

TEST(TrainLosses, GeneratorLossIsNonSaturatingLogistic) {
  torch::Tensor logits = torch::tensor({-2.0f, 0.0f, 3.0f}).unsqueeze(1);
  const double expected = (softplus(2.0) + softplus(0.0) + softplus(-3.0)) / 3;
  EXPECT_NEAR(draggan::generator_loss(logits).item<double>(), expected, 1e-6);
}

TEST(TrainLosses, DiscriminatorLossPenalisesRealLowAndFakeHigh) {
  torch::Tensor real = torch::tensor({1.0f, -1.0f}).unsqueeze(1);
  torch::Tensor fake = torch::tensor({0.5f, -0.5f}).unsqueeze(1);
  const double expected = (softplus(0.5) + softplus(-0.5)) / 2 + (softplus(-1.0) + softplus(1.0)) / 2;
  EXPECT_NEAR(draggan::discriminator_loss(real, fake).item<double>(), expected, 1e-6);
}

TEST(TrainLosses, R1IsTheSquaredInputGradientPerImage) {
  // D(x) = sum(w * x^2) / 2 has gradient w * x, so the penalty is sum((w * x)^2) per image.
  torch::Tensor x = torch::randn({3, 2, 4, 4}).requires_grad_(true);
  torch::Tensor w = torch::rand({1, 2, 4, 4});
  torch::Tensor logits = (w * x.square() / 2).sum({1, 2, 3}).unsqueeze(1);
  torch::Tensor penalty = draggan::r1_penalty(logits, x);
  torch::Tensor expected = (w * x.detach()).square().sum({1, 2, 3});
  EXPECT_TRUE(torch::allclose(penalty, expected, 1e-5, 1e-6));
  // The penalty is differentiable (create_graph), as the lazy R1 step needs.
  draggan::lazy_r1_loss(penalty, 0.1, 16).backward();
  EXPECT_TRUE(x.grad().defined());
  EXPECT_NEAR(draggan::lazy_r1_loss(torch::tensor({2.0f, 4.0f}), 0.5, 16).item<double>(), 3.0 * 0.25 * 16, 1e-6);
}

TEST(TrainLosses, PathLengthIsTheImageJacobianSeenThroughRandomImages) {
  // image = scale * (ws scattered to distinct pixels): the gradient of sum(image * y) with respect to w[r][k]
  // is scale * y at that pixel, so E[length^2] = scale^2 * w_dim / (H * W) for y of unit-variance pixels over
  // sqrt(H * W), whatever the number of rows.
  const int64_t n = 4000, rows = 3, w_dim = 5, side = 8;
  const double scale = 3.0;
  torch::manual_seed(1);
  torch::Tensor ws = torch::randn({n, rows, w_dim}).requires_grad_(true);
  torch::Tensor padding = torch::zeros({n, side * side - rows * w_dim});
  torch::Tensor images =
      torch::cat({ws.reshape({n, rows * w_dim}) * scale, padding}, 1).view({n, 1, side, side});
  torch::Tensor lengths = draggan::path_lengths(images, ws);
  ASSERT_EQ(lengths.sizes(), (torch::IntArrayRef{n}));
  const double expected = scale * scale * w_dim / static_cast<double>(side * side);
  EXPECT_NEAR(lengths.detach().square().mean().item<double>(), expected, 0.05 * expected);
  // The image doubled: every length doubles (the same random images).
  torch::manual_seed(2);
  torch::Tensor once = draggan::path_lengths(images, ws).detach();
  torch::manual_seed(2);
  torch::Tensor twice = draggan::path_lengths(images * 2, ws).detach();
  EXPECT_TRUE(torch::allclose(twice, once * 2, 1e-5, 1e-6));
  // The regulariser is differentiable back to ws (create_graph; a linear image's Jacobian has no gradient, so
  // a squared one here) and penalises the spread around the mean.
  torch::Tensor few = torch::randn({2, rows, w_dim}).requires_grad_(true);
  torch::Tensor curved = few.square().sum(1).view({2, 1, 1, w_dim});
  torch::Tensor curved_lengths = draggan::path_lengths(curved, few);
  draggan::lazy_path_length_loss(curved_lengths, curved_lengths.mean().detach(), 2.0, 4).backward();
  ASSERT_TRUE(few.grad().defined());
  EXPECT_GT(few.grad().abs().sum().item<double>(), 0.0);
  EXPECT_NEAR(
      draggan::lazy_path_length_loss(torch::tensor({1.0f, 3.0f}), torch::tensor(2.0f), 2.0, 4).item<double>(),
      1.0 * 2 * 4, 1e-6);
}

TEST(TrainAdam, MatchesLibTorchAdam) {
  torch::manual_seed(1);
  torch::nn::Linear a(4, 3), b(4, 3);
  {
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < a->parameters().size(); ++i) b->parameters()[i].copy_(a->parameters()[i]);
  }
  draggan::AdamOptimizer ours(*a, {0.01, 0.0, 0.99, 1e-8});
  torch::optim::Adam reference(b->parameters(), torch::optim::AdamOptions(0.01).betas({0.0, 0.99}).eps(1e-8));
  for (int step = 0; step < 5; ++step) {
    torch::Tensor x = torch::randn({8, 4});
    ours.zero_grad();
    a->forward(x).square().mean().backward();
    ours.step();
    reference.zero_grad();
    b->forward(x).square().mean().backward();
    reference.step();
  }
  for (size_t i = 0; i < a->parameters().size(); ++i)
    EXPECT_TRUE(torch::allclose(a->parameters()[i], b->parameters()[i], 1e-6, 1e-7));
}

TEST(TrainAdam, StateRoundTripsByName) {
  torch::nn::Linear a(2, 2);
  draggan::AdamOptimizer opt(*a, {});
  a->forward(torch::ones({1, 2})).sum().backward();
  opt.step();
  draggan::StateDict state = opt.state();
  EXPECT_TRUE(state.count("weight.exp_avg"));
  EXPECT_TRUE(state.count("bias.exp_avg_sq"));
  draggan::AdamOptimizer other(*a, {});
  other.load_state(state, opt.step_count(), "test");
  EXPECT_EQ(other.step_count(), 1);
  EXPECT_TRUE(torch::equal(other.state().at("weight.exp_avg_sq"), state.at("weight.exp_avg_sq")));
  state.erase("bias.exp_avg");
  EXPECT_THROW(other.load_state(state, 1, "test"), draggan::CheckpointError);
}

TEST(TrainEma, HalfLifeAndRampup) {
  // With ema_kimg = 10 the average halves every 10k images: beta^(10000 / batch) = 0.5.
  EXPECT_NEAR(std::pow(draggan::ema_beta(32, 10.0, 0.0, 0), 10000.0 / 32), 0.5, 1e-9);
  // Ramp-up: after 1000 images with rampup 0.05 the half-life is 50 images.
  EXPECT_NEAR(draggan::ema_beta(32, 10.0, 0.05, 1000), std::pow(0.5, 32.0 / 50.0), 1e-12);
  torch::nn::Linear ema(2, 2), cur(2, 2);
  torch::Tensor before = ema->weight.detach().clone();
  draggan::update_ema(*ema, *cur, 0.25);
  EXPECT_TRUE(torch::allclose(ema->weight, cur->weight * 0.75 + before * 0.25, 1e-6));
}

TEST(TrainAugment, FlipAndTranslateAreExactPixelMoves) {
  torch::Tensor img = torch::arange(2 * 1 * 4 * 4, torch::kFloat32).view({2, 1, 4, 4});
  EXPECT_TRUE(torch::equal(draggan::random_xflip(img, 1.0), img.flip(3)));
  EXPECT_TRUE(torch::equal(draggan::random_xflip(img, 0.0), img));
  EXPECT_TRUE(torch::equal(draggan::random_translate(img, 0.0), img));
  // Translation only permutes pixels within each row/column (reflect padding keeps values from the image).
  torch::Tensor moved = draggan::random_translate(torch::ones({4, 3, 16, 16}), 1.0);
  EXPECT_TRUE(torch::equal(moved, torch::ones({4, 3, 16, 16})));
}

// Each shifted image is its source moved by one whole-pixel offset within the limit, `fill` where it came in.
TEST(TrainAugment, RealShiftMovesEachImageWithFillComingIn) {
  torch::manual_seed(3);
  const int64_t n = 64, h = 7, w = 9;
  const int max_shift = 2;
  torch::Tensor img = torch::arange(n * 2 * h * w, torch::kFloat32).view({n, 2, h, w});
  EXPECT_TRUE(torch::equal(draggan::random_shift(img, 0, -1.0), img));
  const torch::Tensor out = draggan::random_shift(img, max_shift, -1.0);
  std::set<std::pair<int, int>> offsets_seen;
  for (int64_t i = 0; i < n; ++i) {
    int found = 0;
    for (int dy = -max_shift; dy <= max_shift; ++dy)
      for (int dx = -max_shift; dx <= max_shift; ++dx) {
        torch::Tensor expected = torch::full({2, h, w}, -1.0);
        for (int64_t y = 0; y < h; ++y)
          for (int64_t x = 0; x < w; ++x)
            if (y - dy >= 0 && y - dy < h && x - dx >= 0 && x - dx < w)
              expected.select(1, y).select(1, x).copy_(img[i].select(1, y - dy).select(1, x - dx));
        if (torch::equal(out[i], expected)) {
          ++found;
          offsets_seen.insert({dy, dx});
        }
      }
    EXPECT_EQ(found, 1) << "image " << i;
  }
  EXPECT_GT(offsets_seen.size(), 12u);  // 25 offsets possible: they vary per image
}

// A bent image is its source resampled along a smooth field of at most about max_pixels: flat areas stay
// flat, a dot moves a little (differently per image), `fill` comes in from outside, and no value is invented.
TEST(TrainAugment, RealWarpBendsEachImageSmoothlyWithFillComingIn) {
  torch::manual_seed(5);
  const int64_t n = 32, h = 24, w = 24;
  const double max_pixels = 2.0;
  torch::Tensor flat = torch::full({n, 1, h, w}, 0.5);
  EXPECT_TRUE(torch::equal(draggan::random_warp(flat, 0.0, -1.0), flat));
  const torch::Tensor bent_flat = draggan::random_warp(flat, max_pixels, -1.0);
  // Bicubic interpolation of the lattice may overshoot it a little: 2 x max_pixels from the border is inside.
  const int64_t margin = 2 * static_cast<int64_t>(max_pixels);
  EXPECT_TRUE(torch::allclose(bent_flat.slice(2, margin, h - margin).slice(3, margin, w - margin),
                              flat.slice(2, margin, h - margin).slice(3, margin, w - margin)));
  EXPECT_LT(bent_flat.min().item<double>(), 0.5);  // somewhere black came in at the border

  torch::Tensor dot = torch::full({n, 1, h, w}, -1.0);
  dot.slice(2, 11, 13).slice(3, 11, 13).fill_(1.0);
  const torch::Tensor bent = draggan::random_warp(dot, max_pixels, -1.0);
  EXPECT_GE(bent.min().item<double>(), -1.0 - 1e-6);
  EXPECT_LE(bent.max().item<double>(), 1.0 + 1e-6);
  const torch::Tensor mass = bent + 1.0;  // [N, 1, H, W], 0 on the background
  const torch::Tensor coords = torch::arange(h, torch::kFloat32);
  const torch::Tensor total = mass.sum({1, 2, 3});
  const torch::Tensor cy = (mass.sum({1, 3}).squeeze(1) * coords).sum(1) / total;
  const torch::Tensor cx = (mass.sum({1, 2}).squeeze(1) * coords).sum(1) / total;
  const torch::Tensor moved = ((cy - 11.5).square() + (cx - 11.5).square()).sqrt();
  EXPECT_LE(moved.max().item<double>(), 1.5 * max_pixels * std::sqrt(2.0));
  EXPECT_GT(moved.max().item<double>(), 0.25);                                   // some dots moved
  EXPECT_GT(std::get<0>(torch::_unique((moved * 100).round())).numel(), n / 2);  // by their own amounts
}

TEST(TrainAugment, AdaptiveProbabilityFollowsOverfitting) {
  draggan::AdaptiveAugment ada({0.6, 4, 100});
  // D calls every real image real (r_t = 1 > 0.6): p rises by batch * interval / 100k per adjustment.
  for (int64_t it = 0; it < 8; ++it) ada.observe(torch::ones({32, 1}), it, 32);
  EXPECT_NEAR(ada.p(), 2 * 32 * 4 / 100000.0, 1e-12);
  EXPECT_NEAR(ada.rt(), 1.0, 1e-12);
  for (int64_t it = 8; it < 40; ++it) ada.observe(-torch::ones({32, 1}), it, 32);
  EXPECT_EQ(ada.p(), 0.0);  // never below 0
}

TEST(MinibatchStd, AppendsTheGroupStddev) {
  torch::Tensor x = torch::randn({8, 6, 4, 4});
  torch::Tensor y = draggan::minibatch_std(x, 4, 1);
  ASSERT_EQ(y.sizes(), (torch::IntArrayRef{8, 7, 4, 4}));
  // Sample i is in group i % 2: its extra channel is the mean stddev over samples {i, i+2, i+4, i+6}.
  torch::Tensor group0 = x.index({torch::tensor({0, 2, 4, 6})});
  const double expected = (group0.var(0, /*unbiased=*/false) + 1e-8).sqrt().mean().item<double>();
  EXPECT_NEAR(y[0][6][0][0].item<double>(), expected, 1e-5);
  EXPECT_NEAR(y[6][6][3][3].item<double>(), expected, 1e-5);
  EXPECT_THROW(draggan::minibatch_std(torch::randn({6, 6, 4, 4}), 4, 1), draggan::InputError);
}

}  // namespace train_loss_test
