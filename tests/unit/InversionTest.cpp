// Projection and pivotal tuning on the fixture model: an image the model generated from a known latent must be
// found again (PSNR after projection, higher after PTI), PTI must leave other latents' images nearly alone,
// and the schedule, losses and cancellation must behave as documented.
//
// Thresholds, measured on tests/data/tiny_sg2.pkl (CPU, 1 thread, pixel loss, W+, 150 projection + 60 PTI
// steps): the mean latent scores 11.0 dB against the seed-0 image, projection 21.8 dB (SSIM 0.64), PTI 24.0 dB
// (SSIM 0.73); other latents' images after PTI are 31.7-33.3 dB from before. The fixture is a random-init
// network whose images are close to noise, the hardest case for inversion, so the margins are ~2 dB under
// these: loose enough for BLAS/thread differences, far above what a broken optimiser or a broken locality
// regulariser gives (11 dB, and 23-27 dB with the regulariser at PTI's 0.1 weight).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <iostream>

#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/drag/DragSession.h"
#include "draggan/invert/DiscriminatorFeatureLoss.h"
#include "draggan/invert/ImageInversion.h"
#include "draggan/invert/ImageMetrics.h"
#include "draggan/invert/LatentStatistics.h"
#include "draggan/invert/NoiseRegularizer.h"
#include "draggan/invert/PerceptualLossChoice.h"
#include "draggan/invert/ProjectionSchedule.h"
#include "draggan/io/Image.h"
#include "draggan/io/ModelFile.h"

namespace draggan {
namespace inversion_test {

const std::string kModel = std::string(DRAGGAN_TEST_DATA) + "/tiny_sg2.pkl";

// Short runs keep the suite fast; the CLI test runs the same with its own step counts.
constexpr int kProjectionSteps = 150;
constexpr int kPtiSteps = 60;
constexpr double kMinProjectedPsnr = 19.5;
constexpr double kMinTunedPsnr = 22.0;
constexpr double kMinOtherLatentPsnr = 29.0;

LoadedModel& fixture_model() {
  static LoadedModel model = load_model(kModel);
  return model;
}

torch::Tensor seed_latent(GeneratorModel& g, uint32_t seed, double psi) {
  torch::NoGradGuard no_grad;
  return g.map(z_from_seed(seed, g.latent_layout().z_dim), {}, psi);
}

torch::Tensor render_uint8(GeneratorModel& g, const torch::Tensor& ws) {
  torch::NoGradGuard no_grad;
  return image_to_uint8(g.synthesize(ws, NoiseMode::Const));
}

TEST(ProjectionSchedule, RampsTheLearningRateUpThenDownAlongACosine) {
  const ProjectionSchedule s;
  EXPECT_DOUBLE_EQ(s.lr(0, 1000), 0.0);
  EXPECT_NEAR(s.lr(25, 1000), 0.05, 1e-12);  // half way up the 5% ramp
  EXPECT_NEAR(s.lr(500, 1000), 0.1, 1e-12);
  EXPECT_NEAR(s.lr(875, 1000), 0.05, 1e-12);  // half way down the 25% cosine: 0.5 - 0.5 cos(pi/2)
  EXPECT_LT(s.lr(999, 1000), 1e-4);
}

TEST(ProjectionSchedule, LatentNoiseDecaysQuadraticallyToZeroAtThreeQuarters) {
  const ProjectionSchedule s;
  EXPECT_DOUBLE_EQ(s.latent_noise(0, 100, 2.0), 2.0 * 0.05);
  EXPECT_NEAR(s.latent_noise(375, 1000, 2.0), 2.0 * 0.05 * 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(s.latent_noise(750, 1000, 2.0), 0.0);
  EXPECT_DOUBLE_EQ(s.latent_noise(900, 1000, 2.0), 0.0);
}

TEST(NoiseRegularizer, IsSmallForWhiteNoiseAndLargeForSmoothMaps) {
  torch::manual_seed(0);
  const torch::Tensor white = torch::randn({64, 64});
  const torch::Tensor smooth = torch::ones({64, 64});
  EXPECT_LT(noise_regularization({white}).item<double>(), 1e-3);
  EXPECT_GT(noise_regularization({smooth}).item<double>(), 1.0);
  torch::Tensor shifted = torch::randn({16, 16}) * 3 + 2;
  normalize_noise_({shifted});
  EXPECT_NEAR(shifted.mean().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR(shifted.square().mean().item<double>(), 1.0, 1e-4);
}

TEST(LatentStatistics, StartsFromTheMeanOfMappedSamples) {
  LoadedModel& model = fixture_model();
  const LatentStatistics small = latent_statistics(*model.generator, 1000);
  const LatentStatistics large = latent_statistics(*model.generator, 4000);
  ASSERT_EQ(large.w_avg.sizes(), (std::vector<int64_t>{1, 1, model.generator->latent_layout().w_dim}));
  // The sample mean converges (its error shrinks like w_std / sqrt(N)); the spread is one positive scalar.
  EXPECT_LT((small.w_avg - large.w_avg).norm().item<double>(), 0.1 * large.w_std);
  EXPECT_GT(large.w_std, 0.0);
}

TEST(Projection, FindsTheLatentOfAGeneratedImageAndPtiTightensIt) {
  LoadedModel& model = fixture_model();
  GeneratorModel& g = *model.generator;
  const torch::Tensor target = render_uint8(g, seed_latent(g, 0, 0.7));
  const ImageShape shape = g.image_shape();
  const torch::Tensor fitted = fit_image(target, shape.height, shape.width, shape.channels);
  // Pixel loss only: the fixture's D is random (its features carry no perception) and costs 3x the time.
  std::unique_ptr<PerceptualLoss> perceptual = make_perceptual_loss(PerceptualChoice::None, model, {}, torch::kCPU);

  ProjectionOptions projection;
  projection.steps = kProjectionSteps;
  int callbacks = 0;
  InversionCallbacks cb;
  cb.on_step = [&](const InversionProgress& p) {
    ++callbacks;
    EXPECT_EQ(p.total, kProjectionSteps);
  };
  const ProjectionResult projected = project(g, fitted, perceptual.get(), projection, cb);
  EXPECT_EQ(callbacks, kProjectionSteps);
  const torch::Tensor start = latent_statistics(g, projection.w_avg_samples).w_avg.expand_as(projected.ws);
  std::cout << "[ measured ] mean latent " << psnr(render_uint8(g, start), target) << " dB\n";
  const double projected_psnr = psnr(render_uint8(g, projected.ws), target);
  std::cout << "[ measured ] projected " << projected_psnr << " dB, SSIM " << ssim(render_uint8(g, projected.ws), target) << "\n";
  EXPECT_GT(projected_psnr, kMinProjectedPsnr);

  const StateDict before = state_dict_of(g.module());
  PivotalTuningOptions pti;
  pti.steps = kPtiSteps;
  PivotalTuningResult tuned = pivotal_tuning(g, projected.ws, fitted, perceptual.get(), pti);
  const double tuned_psnr = psnr(render_uint8(*tuned.generator, projected.ws), target);
  std::cout << "[ measured ] tuned " << tuned_psnr << " dB, SSIM " << ssim(render_uint8(*tuned.generator, projected.ws), target) << "\n";
  EXPECT_GT(tuned_psnr, kMinTunedPsnr);
  EXPECT_GT(tuned_psnr, projected_psnr + 1.0);

  // The original generator is untouched; the tuned one still draws other latents as before.
  for (const auto& [name, t] : state_dict_of(g.module())) EXPECT_TRUE(t.equal(before.at(name))) << name;
  for (uint32_t seed : {1u, 2u, 5u}) {
    const torch::Tensor ws = seed_latent(g, seed, 0.7);
    const double other = psnr(render_uint8(*tuned.generator, ws), render_uint8(g, ws));
    std::cout << "[ measured ] seed " << seed << " after PTI vs before: " << other << " dB\n";
    EXPECT_GT(other, kMinOtherLatentPsnr) << "seed " << seed;
  }
}

TEST(Projection, CancelFlagStopsEarlyWithAUsableLatent) {
  LoadedModel& model = fixture_model();
  const torch::Tensor target = render_uint8(*model.generator, seed_latent(*model.generator, 3, 0.7));
  std::atomic<bool> cancel{false};
  InversionCallbacks cb;
  cb.cancel = &cancel;
  cb.preview_every = 2;
  int previews = 0;
  cb.on_step = [&](const InversionProgress& p) {
    if (p.preview.defined()) {
      ++previews;
      EXPECT_EQ(p.preview.sizes(), target.sizes());
    }
    if (p.step == 4) cancel = true;
  };
  InversionOptions options;
  options.projection.steps = 50;
  options.projection.w_avg_samples = 500;
  options.pti.steps = 10;
  options.perceptual = PerceptualChoice::None;
  const InversionResult r = invert_image(model, target, options, cb);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.tuned.has_value());
  EXPECT_EQ(previews, 2);
  EXPECT_EQ(r.ws.sizes(), (std::vector<int64_t>{1, model.generator->latent_layout().num_ws, model.generator->latent_layout().w_dim}));
  EXPECT_EQ(r.reconstruction.sizes(), target.sizes());
  EXPECT_EQ(r.perceptual, "none");
}

TEST(Projection, TheInvertedLatentAndTunedGeneratorDragLikeAGeneratedOne) {
  LoadedModel& model = fixture_model();
  const torch::Tensor target = render_uint8(*model.generator, seed_latent(*model.generator, 4, 0.7));
  InversionOptions options;
  options.projection.steps = 60;
  options.projection.w_avg_samples = 1000;
  options.pti.steps = 20;
  options.perceptual = PerceptualChoice::None;
  InversionResult r = invert_image(model, target, options);
  // The same drag from the generated latent with the original generator is the reference behaviour.
  auto drag_distance = [](GeneratorPtr g, const torch::Tensor& ws) {
    DragSession drag(g, ws);
    drag.add_pair({20, 30}, {30, 30});
    double last = 0.0;
    for (int i = 0; i < 30; ++i) last = drag.step().distances.at(0);
    return last;
  };
  const double generated = drag_distance(model.generator, seed_latent(*model.generator, 4, 0.7));
  const double inverted = drag_distance(r.generator, r.ws);
  std::cout << "[ measured ] handle-target distance after 30 steps: generated " << generated << ", inverted "
            << inverted << " (start 10)\n";
  // On this random-init fixture a 30-step drag moves a generated handle only ~1 px (9.06 of 10 left), the
  // inverted one ~0 px: the test pins that the inverted pair runs the drag and does no worse than that margin.
  EXPECT_LE(inverted, generated + 3.0);
}

TEST(PerceptualLoss, DiscriminatorFeaturesAreZeroForEqualImagesAndGrowWithDifference) {
  LoadedModel& model = fixture_model();
  ASSERT_FALSE(model.discriminator.empty()) << "the fixture pkl carries D";
  std::unique_ptr<PerceptualLoss> d = make_perceptual_loss(PerceptualChoice::Auto, model, {}, torch::kCPU);
  ASSERT_EQ(d->name(), "discriminator");
  torch::manual_seed(0);
  const torch::Tensor a = torch::rand({1, 3, 64, 64}) * 2 - 1;
  const torch::Tensor near = (a + 0.05 * torch::randn_like(a)).clamp(-1, 1);
  const torch::Tensor far = torch::rand({1, 3, 64, 64}) * 2 - 1;
  EXPECT_NEAR(d->distance(a, a).item<double>(), 0.0, 1e-9);
  EXPECT_LT(d->distance(a, near).item<double>(), d->distance(a, far).item<double>());
}

TEST(PerceptualLoss, ExplicitChoicesThatCannotBeMetAreInputErrors) {
  LoadedModel& model = fixture_model();
  EXPECT_THROW(make_perceptual_loss(PerceptualChoice::Lpips, model, {}, torch::kCPU), InputError);
  EXPECT_THROW(make_perceptual_loss(PerceptualChoice::Auto, model, {"vgg16.pth", ""}, torch::kCPU), InputError);
  EXPECT_FALSE(make_perceptual_loss(PerceptualChoice::None, model, {}, torch::kCPU));
  EXPECT_THROW(parse_perceptual_choice("alexnet"), InputError);
  EXPECT_THROW(parse_projection_space("z"), InputError);
}

}  // namespace inversion_test
}  // namespace draggan
