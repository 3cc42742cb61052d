// StyleGAN-Human against the official DragGAN code (tests/data/formats/stylegan_human, tests/data/README.md):
// the snapshot recognised by content, the fresh-renderer start latents, the 2:1 image and the renderer's padded
// square, every block's padded features, the 10-step drag on the padded canvas, conversion round trip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "FormatFixture.h"
#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/Image.h"
#include "draggan/io/ModelFile.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"

namespace draggan {
namespace stylegan_human_parity_test {

using testing::FormatFixture;
using testing::max_abs_diff;

const FormatFixture& fixture() {
  static const FormatFixture f("stylegan_human");
  return f;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("draggan_human_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

// The official renderer's square: the 2:1 image with W/2 columns of 1.0 (white) on each side.
torch::Tensor official_square(const torch::Tensor& image) {
  const int64_t pad = (image.size(2) - image.size(3)) / 2;
  return at::constant_pad_nd(image, {pad, pad}, 1.0);
}

class StyleGANHumanParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = std::make_unique<LoadedModel>(load_model(fixture().checkpoint())); }
  static void TearDownTestSuite() { model_.reset(); }
  static GeneratorModel& g() { return *model_->generator; }
  static StyleGAN2Model& sg2() { return dynamic_cast<StyleGAN2Model&>(*model_->generator); }
  static std::unique_ptr<LoadedModel> model_;
};
std::unique_ptr<LoadedModel> StyleGANHumanParity::model_;

TEST_F(StyleGANHumanParity, SnapshotIsRecognisedByContentAsStyleGANHuman) {
  EXPECT_EQ(g().family(), "stylegan-human");
  const ImageShape shape = g().image_shape();
  EXPECT_EQ(shape.height, 64);
  EXPECT_EQ(shape.width, 32);
  EXPECT_EQ(shape.channels, 3);
  const FeatureCanvas canvas = g().feature_canvas();
  EXPECT_EQ(canvas.height, 64);
  EXPECT_EQ(canvas.width, 64);
  EXPECT_EQ(canvas.image_top, 0);
  EXPECT_EQ(canvas.image_left, 16);
  EXPECT_EQ(g().latent_layout().num_ws, 10);
  EXPECT_FALSE(sg2().config().square);
  EXPECT_DOUBLE_EQ(sg2().config().w_avg_beta, 0.995);  // that codebase's default
  EXPECT_FALSE(model_->discriminator.empty());

  // The official renderer picks the class by the file name; we do not: the same bytes under a plain name.
  const std::string renamed = temp_path("generator.pkl");
  std::filesystem::copy_file(fixture().checkpoint(), renamed, std::filesystem::copy_options::overwrite_existing);
  EXPECT_EQ(load_model(renamed).generator->family(), "stylegan-human");
  std::remove(renamed.c_str());
}

TEST_F(StyleGANHumanParity, StartLatentsAreTheFreshRenderersAndDoNotDrift) {
  torch::NoGradGuard no_grad;
  const torch::Tensor w_avg_loaded = fixture().array("w_avg_loaded");
  auto& mapping = *sg2().network()->mapping;
  double worst = 0.0;
  for (int seed = 0; seed < 3; ++seed) {
    const std::string s = "seed" + std::to_string(seed);
    const torch::Tensor z = fixture().array(s + "_z");
    EXPECT_EQ(max_abs_diff(z_from_seed(static_cast<uint32_t>(seed), 64), z.to(torch::kFloat32)), 0.0) << s;
    const torch::Tensor w1 = g().map(z, {}, 1.0);
    EXPECT_LE(max_abs_diff(w1, fixture().array(s + "_w_psi1")), 1e-6) << s;
    const torch::Tensor used = mapping.w_avg_after_first_call(w1);
    EXPECT_LE(max_abs_diff(used[0], fixture().array(s + "_w_avg_used")), 1e-6) << s;
    // Twice, in both orders: the official mapping would have moved w_avg in between.
    for (int round = 0; round < 2; ++round) {
      const double err = max_abs_diff(g().map(z, {}, 0.7), fixture().array(s + "_w_psi07"));
      worst = std::max(worst, err);
      EXPECT_LE(err, 1e-6) << s << " round " << round;
    }
    EXPECT_TRUE(torch::equal(latent_from_seed(g(), static_cast<uint32_t>(seed), 0.7), g().map(z, {}, 0.7)));
  }
  EXPECT_TRUE(torch::equal(mapping.w_avg, w_avg_loaded));
  std::printf("[ parity ] stylegan-human w_psi07 max abs err %.3g\n", worst);
  RecordProperty("w_psi07_max_abs_err", std::to_string(worst));
}

TEST_F(StyleGANHumanParity, ImagesMatchTheOfficialRawAndPaddedOnes) {
  torch::NoGradGuard no_grad;
  double worst = 0.0;
  for (int seed = 0; seed < 3; ++seed) {
    const std::string s = "seed" + std::to_string(seed) + "_";
    const torch::Tensor raw = g().synthesize(fixture().array(s + "w_psi07"));
    ASSERT_EQ(raw.sizes(), (std::vector<int64_t>{1, 3, 64, 32}));
    const double err_raw = max_abs_diff(raw, fixture().array(s + "img_psi07_raw"));
    const double err_square = max_abs_diff(official_square(raw), fixture().array(s + "img_psi07"));
    const double err_psi1 =
        max_abs_diff(official_square(g().synthesize(fixture().array(s + "w_psi1"))), fixture().array(s + "img_psi1"));
    worst = std::max({worst, err_raw, err_square, err_psi1});
    EXPECT_LE(err_raw, 1e-4) << s;
    EXPECT_LE(err_square, 1e-4) << s;
    EXPECT_LE(err_psi1, 1e-4) << s;
    // From the seed, as `draggan generate` does: the official displayed (padded) uint8 image within one level.
    const torch::Tensor from_seed = g().synthesize(latent_from_seed(g(), static_cast<uint32_t>(seed), 0.7));
    const torch::Tensor u8 = image_to_uint8(official_square(from_seed)).to(torch::kInt32);
    EXPECT_LE((u8 - fixture().array(s + "img_psi07_uint8").to(torch::kInt32)).abs().max().item<int>(), 1) << s;
  }
  std::printf("[ parity ] stylegan-human images max abs err %.3g (on [-1, 1])\n", worst);
  RecordProperty("image_max_abs_err", std::to_string(worst));
}

TEST_F(StyleGANHumanParity, EveryBlockFeatureIsTheOfficialPaddedOneResizedToTheCanvas) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = fixture().array("seed0_w_psi07");
  double worst = 0.0;
  for (int block = 0; block < 5; ++block) {
    const torch::Tensor official = fixture().array("seed0_block" + std::to_string(block) + "_out");  // [1, C, r, r]
    FeatureRequest request;
    request.layer = block;
    request.official_arithmetic = true;
    const FeatureResult result = g().features(ws, request);
    ASSERT_EQ(result.windows.size(), 1u);
    const torch::Tensor resized = at::upsample_bilinear2d(official, {64, 64}, false);
    const double err = max_abs_diff(result.windows[0].features, resized);
    EXPECT_LE(err, 1e-4) << "block " << block;
    // Our own (faster) arithmetic gives the same features to float rounding.
    request.official_arithmetic = false;
    const double fast_err = max_abs_diff(g().features(ws, request).windows[0].features, resized);
    EXPECT_LE(fast_err, 1e-4) << "block " << block;
    worst = std::max({worst, err, fast_err});
  }
  FeatureRequest request;
  request.layer = 3;
  const double supervised = max_abs_diff(g().features(ws, request).windows[0].features,
                                         fixture().array("seed0_feat3_resized"));
  EXPECT_LE(supervised, 1e-4);
  std::printf("[ parity ] stylegan-human block features max abs err %.3g, supervised (block 3) %.3g\n", worst,
              supervised);
}

TEST_F(StyleGANHumanParity, WindowedFeaturesEqualTheWholeCanvasAlsoOnThePadding) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = fixture().array("seed0_w_psi07");
  FeatureRequest whole_request;
  whole_request.layer = 3;
  const torch::Tensor whole = g().features(ws, whole_request).windows[0].features;
  // Canvas boxes (inclusive): inside the image, across its left border, in the right padding only, and two far
  // apart (separate windows).
  for (const std::vector<PixelBox>& boxes :
       {std::vector<PixelBox>{{20, 24, 30, 34}}, std::vector<PixelBox>{{10, 6, 24, 22}},
        std::vector<PixelBox>{{40, 50, 50, 60}}, std::vector<PixelBox>{{2, 10, 9, 17}, {50, 44, 60, 54}}}) {
    FeatureRequest request = whole_request;
    request.boxes = boxes;
    const FeatureResult result = g().features(ws, request);
    ASSERT_EQ(result.windows.size(), boxes.size());
    for (size_t j = 0; j < boxes.size(); ++j) {
      const FeatureWindow& w = result.windows[j];
      const PixelBox& b = boxes[j];
      const torch::Tensor got = w.features.slice(2, b.top - w.top, b.bottom - w.top + 1)
                                    .slice(3, b.left - w.left, b.right - w.left + 1);
      const torch::Tensor want = whole.slice(2, b.top, b.bottom + 1).slice(3, b.left, b.right + 1);
      EXPECT_LE(max_abs_diff(got, want), 1e-5) << "box " << j << " at col " << b.left;
    }
  }
}

// The official drag2 case: the renderer's [row, col] on the 64x64 canvas are ours shifted by image_left = 16.
TEST_F(StyleGANHumanParity, DragFollowsTheOfficialTrajectoryOnThePaddedCanvas) {
  const nlohmann::json& hp = fixture().drag_hyperparameters();
  const nlohmann::json& c = fixture().drag_case("drag2");
  DragParams params;
  params.lr = c.at("lr").get<double>();
  params.feature_block = hp.at("feature_idx").get<int>();
  params.r1 = hp.at("r1").get<double>();
  params.r2 = hp.at("r2").get<double>();
  params.lambda_mask = hp.at("lambda_mask").get<double>();
  const int64_t left = g().feature_canvas().image_left;

  const torch::Tensor ws_ref = fixture().array("drag2_ws"), handles_ref = fixture().array("drag2_handles");
  const torch::Tensor loss_ref = fixture().array("drag2_loss"), stop_ref = fixture().array("drag2_stop");
  const torch::Tensor points = fixture().array("drag2_points_init"), targets = fixture().array("drag2_targets");
  const int64_t steps = loss_ref.size(0), n = points.size(0);

  DragSession session(model_->generator, latent_from_seed(g(), 0, hp.at("trunc_psi").get<double>()), params);
  EXPECT_EQ(session.resolved().r1_pixels, hp.at("r1_pixels").get<int>());
  EXPECT_EQ(session.resolved().r2_pixels, hp.at("r2_pixels").get<int>());
  EXPECT_LE(max_abs_diff(session.start_ws(), ws_ref[0].unsqueeze(0)), 1e-6);
  for (int64_t j = 0; j < n; ++j)
    session.add_pair({static_cast<double>(points[j][1].item<int64_t>() - left), points[j][0].item<double>()},
                     {static_cast<double>(targets[j][1].item<int64_t>() - left), targets[j][0].item<double>()});
  double worst_loss = 0.0, worst_ws = 0.0;
  for (int64_t k = 0; k <= steps; ++k) {
    const double ws_err = max_abs_diff(session.ws()[0], ws_ref[k]);
    worst_ws = std::max(worst_ws, ws_err);
    EXPECT_LE(ws_err, 1e-4) << "ws before step " << k;
    if (k == steps) {
      const torch::Tensor square = official_square(session.image());
      EXPECT_LE(max_abs_diff(square, fixture().array("drag2_img_final")), 1e-3);
      const torch::Tensor u8 = image_to_uint8(square).to(torch::kInt32);
      EXPECT_LE((u8 - fixture().array("drag2_img_final_uint8").to(torch::kInt32)).abs().max().item<int>(), 1);
    }
    const DragStepReport r = session.step();  // step `steps` only tracks, for the last comparison
    ASSERT_EQ(r.handles.size(), static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      EXPECT_EQ(r.handles[j].y, handles_ref[k][j][0].item<int64_t>()) << "step " << k << " handle " << j;
      EXPECT_EQ(r.handles[j].x + left, handles_ref[k][j][1].item<int64_t>()) << "step " << k << " handle " << j;
    }
    if (k == steps) break;
    const double expected = loss_ref[k].item<double>();
    const double rel = std::abs(r.loss - expected) / std::max(std::abs(expected), 1e-12);
    worst_loss = std::max(worst_loss, rel);
    EXPECT_LE(rel, 1e-4) << "loss at step " << k << ": " << r.loss << " vs " << expected;
    EXPECT_EQ(r.done, stop_ref[k].item<bool>()) << "step " << k;
  }
  std::printf("[ parity ] stylegan-human drag2 max loss rel err %.3g, max ws abs err %.3g\n", worst_loss, worst_ws);
}

TEST_F(StyleGANHumanParity, ConvertedSafetensorsLoadsAsTheSameModel) {
  const std::string path = temp_path("human.safetensors");
  save_model(path, g(), model_->discriminator, model_->discriminator_config);
  LoadedModel back = load_model(path);
  std::remove(path.c_str());
  EXPECT_EQ(back.generator->family(), "stylegan-human");
  EXPECT_EQ(back.generator->config_json(), g().config_json());
  EXPECT_EQ(back.generator->image_shape().width, 32);
  EXPECT_EQ(back.discriminator.size(), model_->discriminator.size());
  torch::NoGradGuard no_grad;
  for (uint32_t seed : {0u, 2u}) {
    const torch::Tensor a = g().synthesize(latent_from_seed(g(), seed, 0.7));
    const torch::Tensor b = back.generator->synthesize(latent_from_seed(*back.generator, seed, 0.7));
    EXPECT_TRUE(torch::equal(a, b)) << "seed " << seed;
  }
}

TEST(StyleGANHumanFiles, TruncatedSnapshotGivesOneLineErrorNamingTheFile) {
  std::ifstream in(fixture().checkpoint(), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t keep : {size_t{100}, bytes.size() / 3, bytes.size() - 10}) {
    const std::string path = temp_path("cut.pkl");
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(keep));
    try {
      load_model(path);
      ADD_FAILURE() << "a snapshot cut at " << keep << " bytes loaded";
    } catch (const CheckpointError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
    std::remove(path.c_str());
  }
}

TEST(StyleGANHumanFiles, ContradictoryConfigsAreRefused) {
  LoadedModel model = load_model(fixture().checkpoint());
  // A native file that calls a 2:1 model "stylegan2" (or a square config "stylegan-human").
  const GeneratorFamily& human = generator_family("stylegan-human");
  const GeneratorFamily& sg2 = generator_family("stylegan2");
  const StateDict tensors = state_dict_of(model.generator->module());
  nlohmann::json config = model.generator->config_json();
  EXPECT_THROW(sg2.build(config, tensors, "x.safetensors", torch::kCPU), CheckpointError);
  config["square"] = true;
  EXPECT_THROW(human.build(config, tensors, "x.safetensors", torch::kCPU), CheckpointError);
  // A snapshot whose kwargs say square=True while its tensors are 2:1.
  nlohmann::json kwargs = nlohmann::json::parse(R"({"z_dim": 64, "w_dim": 64, "c_dim": 0, "img_resolution": 64,
      "img_channels": 3, "square": true, "mapping_kwargs": {"num_layers": 4},
      "synthesis_kwargs": {"channel_base": 1024, "channel_max": 64}})");
  EXPECT_TRUE(human.matches_snapshot(kwargs, tensors));
  EXPECT_FALSE(sg2.matches_snapshot(kwargs, tensors));
  EXPECT_THROW(human.config_from_snapshot(kwargs, tensors), CheckpointError);
  // A square noise map in a 2:1 snapshot (what loading one as plain StyleGAN2 used to hit): the tensor is named.
  StateDict mixed = tensors;
  mixed["synthesis.b32.conv0.noise_const"] = torch::zeros({32, 32});
  try {
    human.build(model.generator->config_json(), mixed, "mixed.pkl: G_ema", torch::kCPU);
    ADD_FAILURE() << "a square noise map was accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("synthesis.b32.conv0.noise_const"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("mixed.pkl"), std::string::npos) << e.what();
  }
  // Kwargs claiming far more channels than the file holds fail before anything that size is allocated.
  nlohmann::json huge = model.generator->config_json();
  huge["channel_base"] = 1 << 30;
  huge["channel_max"] = 1 << 16;
  try {
    human.build(huge, tensors, "huge.pkl: G_ema", torch::kCPU);
    ADD_FAILURE() << "a 65536-channel config was built from 64-channel tensors";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("synthesis.b4.const"), std::string::npos) << e.what();
  }
  // A const that is neither 4x4 nor 4x2: no family, and the error says what was found.
  StateDict odd = tensors;
  odd["synthesis.b4.const"] = torch::zeros({64, 4, 3});
  try {
    family_of_snapshot(kwargs, odd, "odd.pkl");
    ADD_FAILURE() << "a [64, 4, 3] const was accepted";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("[64, 4, 3]"), std::string::npos) << e.what();
  }
}

TEST(StyleGANHumanFiles, WrongAspectMaskIsRefusedWithTheSizes) {
  LoadedModel model = load_model(fixture().checkpoint());
  DragSession session(model.generator, latent_from_seed(*model.generator, 0, 0.7));
  try {
    session.set_mask(torch::zeros({64, 64}));
    ADD_FAILURE() << "a square mask was accepted for a 2:1 model";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("[64, 32]"), std::string::npos) << e.what();
  }
  session.set_mask(torch::zeros({64, 32}));  // the image size is fine
}

}  // namespace stylegan_human_parity_test
}  // namespace draggan
