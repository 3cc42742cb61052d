// The fast inversion schedule (FastProjector, the short tuning of the finer layers) and the GeneratorModel
// capabilities it rests on (coarse images, tuning parameters), on the fixture model tests/data/tiny_sg2.pkl
// (16 px, random init, images close to noise: the hardest case) and the shipped, trained 32-px model.
// Quality thresholds only, never time: speed is measured by `draggan bench --inversion`.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>

#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/invert/FastProjector.h"
#include "draggan/invert/ImageInversion.h"
#include "draggan/invert/ImageMetrics.h"
#include "draggan/io/Image.h"
#include "draggan/io/ModelFile.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"

namespace draggan {
namespace fast_inversion_test {

const std::string kFixture = std::string(DRAGGAN_TEST_DATA) + "/tiny_sg2.pkl";
const std::string kShipped = std::string(DRAGGAN_SOURCE_DIR) + "/models/default.safetensors";

LoadedModel& fixture_model() {
  static LoadedModel model = load_model(kFixture);
  return model;
}

torch::Tensor own_image(GeneratorModel& g, uint32_t seed, double psi) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = g.map(z_from_seed(seed, g.latent_layout().z_dim), {}, psi);
  return image_to_uint8(g.synthesize(ws, NoiseMode::Const));
}

// A family that implements only the required part of the interface: the inversion must work through the defaults.
class PlainFamily : public GeneratorModel {
 public:
  explicit PlainFamily(GeneratorPtr inner) : inner_(std::move(inner)) {}
  std::string family() const override { return "plain"; }
  std::string description() const override { return "wrapper"; }
  LatentLayout latent_layout() const override { return inner_->latent_layout(); }
  ImageShape image_shape() const override { return inner_->image_shape(); }
  int num_feature_layers() const override { return inner_->num_feature_layers(); }
  int default_feature_layer() const override { return inner_->default_feature_layer(); }
  std::string feature_layer_name(int layer) const override { return inner_->feature_layer_name(layer); }
  torch::Tensor map(const torch::Tensor& z, const torch::Tensor& c, double psi, int cutoff) override {
    return inner_->map(z, c, psi, cutoff);
  }
  torch::Tensor synthesize(const torch::Tensor& ws, NoiseMode noise) override { return inner_->synthesize(ws, noise); }
  FeatureResult features(const torch::Tensor& ws, const FeatureRequest& r) override { return inner_->features(ws, r); }
  torch::nn::Module& module() override { return inner_->module(); }
  std::shared_ptr<GeneratorModel> clone() override { return std::make_shared<PlainFamily>(inner_->clone()); }
  nlohmann::json config_json() const override { return inner_->config_json(); }

 private:
  GeneratorPtr inner_;
};

TEST(CoarseImages, StyleGAN2SkipStopsEarlyAndTheFullHeightIsTheImage) {
  GeneratorModel& g = *fixture_model().generator;
  const std::vector<int> heights = g.coarse_image_heights();
  ASSERT_FALSE(heights.empty());
  EXPECT_EQ(heights.front(), 4);
  EXPECT_LT(heights.back(), g.image_shape().height);
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = g.map(z_from_seed(1, g.latent_layout().z_dim), {}, 0.7);
  for (int h : heights) {
    const torch::Tensor coarse = g.coarse_image(ws, h);
    EXPECT_EQ(coarse.sizes(), (std::vector<int64_t>{1, g.image_shape().channels, h, h}));
  }
  EXPECT_TRUE(torch::equal(g.coarse_image(ws, g.image_shape().height), g.synthesize(ws)));
}

TEST(CoarseImages, TheDefaultIsTheImageAreaDownsampled) {
  PlainFamily plain(fixture_model().generator);
  EXPECT_TRUE(plain.coarse_image_heights().empty());
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = plain.map(z_from_seed(1, plain.latent_layout().z_dim), {}, 0.7, -1);
  const torch::Tensor image = plain.synthesize(ws, NoiseMode::Const);
  EXPECT_TRUE(torch::allclose(plain.coarse_image(ws, 8), torch::adaptive_avg_pool2d(image, {8, 8})));
}

TEST(TuningParameters, FinerHeightsTuneFewerLayersAndNeverTheMappingNetwork) {
  GeneratorModel& g = *fixture_model().generator;
  std::set<const void*> mapping;
  for (const auto& p : g.module().named_parameters())
    if (p.key().rfind("mapping.", 0) == 0) mapping.insert(p.value().data_ptr());
  const auto all = g.tuning_parameters(0);
  const auto fine = g.tuning_parameters(g.image_shape().height);
  EXPECT_GT(all.size(), fine.size());
  EXPECT_FALSE(fine.empty());
  for (const auto& p : all) EXPECT_EQ(mapping.count(p.data_ptr()), 0u);
  PlainFamily plain(fixture_model().generator);
  EXPECT_EQ(plain.tuning_parameters(64).size(), all.size());  // the default: every synthesis parameter
}

TEST(FastProjection, StepsAndScheduleNamesAreChecked) {
  FastProjectionOptions o;
  o.set_total_steps(13);
  EXPECT_EQ(o.total_steps(), 13);
  o.set_total_steps(0);
  EXPECT_EQ(o.total_steps(), 0);
  EXPECT_THROW(o.set_total_steps(-1), InputError);
  o.coarse_fraction = 1.5;
  EXPECT_THROW(o.validate(), InputError);
  EXPECT_EQ(parse_inversion_schedule("FAST"), InversionSchedule::Fast);
  EXPECT_EQ(parse_inversion_schedule("full"), InversionSchedule::Full);
  EXPECT_THROW(parse_inversion_schedule("quick"), InputError);
}

TEST(FastProjection, CoarseStepsOnlyForModelsAboveTheCoarseHeight) {
  GeneratorModel& g = *fixture_model().generator;
  const int height = g.image_shape().height;
  ASSERT_LE(height, 64);
  FastProjectionOptions o;  // coarse height 64: a model this small has no coarse stage
  EXPECT_EQ(fast_coarse_height(g, o), height);
  // Any coarse height from image height / 8 up is used as asked; one below goes to the nearest of those.
  int usable = 0;
  for (int h : g.coarse_image_heights())
    if (h >= height / 8) {
      o.coarse_height = h;
      EXPECT_EQ(fast_coarse_height(g, o), h);
      ++usable;
    }
  ASSERT_GT(usable, 0);
  o.coarse_height = 1;
  EXPECT_EQ(fast_coarse_height(g, o), height / 8);
  PlainFamily plain(fixture_model().generator);  // no coarse images: always the full image
  EXPECT_EQ(fast_coarse_height(plain, o), height);
}

// The fixture is random (images close to noise): the mean latent gives 11 dB against this target. Thresholds below
// what the fast schedule measures here (printed: W+ 20.4 dB projected, 24.5 tuned; W 18.3, 24.5) with ~2 dB margin.
TEST(FastProjection, ReconstructsTheFixturesOwnImageInWPlusAndW) {
  LoadedModel& model = fixture_model();
  const torch::Tensor target = own_image(*model.generator, 0, 0.7);
  for (const char* space : {"w+", "w"}) {
    InversionOptions options;
    options.schedule = InversionSchedule::Fast;
    options.projection.space = parse_projection_space(space);
    options.pti = fast_tuning_options(model.generator->image_shape().height);
    options.perceptual = PerceptualChoice::None;
    int reported = 0, total = 0;
    InversionCallbacks cb;
    cb.on_step = [&](const InversionProgress& p) {
      if (p.stage == InversionStage::Projection) {
        ++reported;
        total = p.total;
      }
    };
    const InversionResult r = invert_image(model, target, options, cb);
    std::cout << "[ measured ] fast " << space << ": projected " << r.projected.psnr << " dB, tuned "
              << r.tuned->psnr << " dB\n";
    EXPECT_EQ(reported, options.fast.total_steps());
    EXPECT_EQ(total, options.fast.total_steps());
    EXPECT_GT(r.projected.psnr, std::string(space) == "w+" ? 18.0 : 16.0);
    EXPECT_GT(r.tuned->psnr, 22.0);
    ASSERT_TRUE(r.tuned.has_value());
    EXPECT_GT(r.tuned->psnr, r.projected.psnr);
    // The tuned copy is a new generator; the model is untouched.
    EXPECT_NE(r.generator.get(), model.generator.get());
  }
}

TEST(FastProjection, WorksThroughTheInterfaceDefaults) {
  LoadedModel plain_model = fixture_model();
  plain_model.generator = std::make_shared<PlainFamily>(fixture_model().generator);
  const torch::Tensor target = own_image(*plain_model.generator, 2, 0.7);
  InversionOptions options;
  options.schedule = InversionSchedule::Fast;
  options.fast.set_total_steps(40);
  options.pti = fast_tuning_options(16);
  options.pti.steps = 5;
  options.perceptual = PerceptualChoice::None;
  const InversionResult r = invert_image(plain_model, target, options);
  EXPECT_GT(r.projected.psnr, 14.0);
  EXPECT_TRUE(r.tuned.has_value());
}

// The shipped model is trained: its own images come back closely. Measured with the default fast schedule
// (80 + 40 steps) on the generator shipped since the fifth pass of issue 13 (models/README.md; bent garments,
// 640 kimg): seeds 7 / 42 / 1000 tuned to 36.8 / 39.5 / 35.4 dB, projected 27.0 / 29.4 / 24.2. The shift-only
// generator before it met projected bounds of 28 / 26 / 26 dB: bent garments are harder to find in W+ before
// tuning, not after. Earlier models and schedules: bench/README.md. Thresholds 2-4 dB under what is measured.
TEST(FastProjection, ReconstructsTheShippedModelsOwnImages) {
  LoadedModel model = load_model(kShipped);
  struct AtLeast {
    double projected, tuned;
  };
  const std::map<uint32_t, AtLeast> psnr_at_least{
      {7, {24.0, 34.0}}, {42, {26.0, 36.0}}, {1000, {21.0, 33.0}}};
  for (const auto& [seed, at_least] : psnr_at_least) {
    const torch::Tensor target = own_image(*model.generator, seed, 1.0);
    InversionOptions options;
    options.schedule = InversionSchedule::Fast;
    options.pti = fast_tuning_options(model.generator->image_shape().height);
    const InversionResult r = invert_image(model, target, options);
    std::cout << "[ measured ] shipped model seed " << seed << ", fast schedule: projected " << r.projected.psnr
              << " dB (SSIM " << r.projected.ssim << "), tuned " << r.tuned->psnr << " dB (SSIM " << r.tuned->ssim
              << ")\n";
    EXPECT_GT(r.projected.psnr, at_least.projected) << "seed " << seed;
    EXPECT_GT(r.tuned->psnr, at_least.tuned) << "seed " << seed;
    EXPECT_GT(r.tuned->ssim, 0.95) << "seed " << seed;
  }
}

}  // namespace fast_inversion_test
}  // namespace draggan
