// A TensorFlow StyleGAN2 network pickle (NVlabs/stylegan2 config-f layout) against the official DragGAN code
// run on the same file (tests/data/formats/tf_stylegan2, see tests/data/README.md): the official loader
// converts Gs with legacy.py, so our conversion must give the generator that reproduces its mapping, block
// features, images and drag trajectory.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "FormatFixture.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/TensorflowStyleGAN2.h"
#include "draggan/model/FeatureWindow.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"
#include "support/StateHash.h"

namespace draggan {
namespace tensorflow_stylegan2_parity_test {

using testing::FormatFixture;
using testing::max_abs_diff;

class TensorflowStyleGAN2Parity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = std::make_unique<FormatFixture>("tf_stylegan2");
    model_ = std::make_unique<LoadedModel>(load_model(fixture_->checkpoint()));
  }
  static void TearDownTestSuite() {
    model_.reset();
    fixture_.reset();
  }
  static const FormatFixture& fx() { return *fixture_; }
  static const GeneratorPtr& model() { return model_->generator; }
  // The StyleGAN2 network under the interface, for block-level outputs.
  static Generator& g() { return dynamic_cast<StyleGAN2Model&>(*model_->generator).network(); }

  static std::unique_ptr<FormatFixture> fixture_;
  static std::unique_ptr<LoadedModel> model_;
};
std::unique_ptr<FormatFixture> TensorflowStyleGAN2Parity::fixture_;
std::unique_ptr<LoadedModel> TensorflowStyleGAN2Parity::model_;

TEST_F(TensorflowStyleGAN2Parity, IsReadAsATensorflowPickle) {
  EXPECT_EQ(model_->format, "tensorflow-pkl");
  EXPECT_EQ(model()->family(), "stylegan2");
  const GeneratorConfig& c = g()->config();
  EXPECT_EQ(c.num_ws(), fx().manifest()["generator"]["num_ws"].get<int>());
  EXPECT_EQ(c.img_resolution, 64);
  EXPECT_EQ(c.channel_base, 1024);  // 2 * fmap_base
  EXPECT_EQ(c.w_avg_beta, 0.995);
  EXPECT_FALSE(model_->discriminator.empty());
  EXPECT_EQ(model_->discriminator_config["architecture"], "resnet");
  EXPECT_TRUE(model_->discriminator_config["mbstd_group_size"].is_null());  // legacy.py's default, not TF's 4
}

TEST_F(TensorflowStyleGAN2Parity, InitKwargsAreTheOfficialConvertersExactly) {
  TensorflowSnapshot snap = read_tensorflow_pkl(fx().checkpoint());
  EXPECT_EQ(snap.g_init_kwargs, fx().manifest()["generator"]["renderer_G_init_kwargs"])
      << snap.g_init_kwargs.dump();
  EXPECT_NE(snap.description.find("G_synthesis_stylegan2"), std::string::npos) << snap.description;
}

TEST_F(TensorflowStyleGAN2Parity, EveryConvertedTensorIsBitIdenticalToTheOfficialConverters) {
  EXPECT_EQ(test::state_sha256(model()->module()),
            fx().manifest()["generator"]["G_ema_state_sha256"].get<std::string>());
}

TEST_F(TensorflowStyleGAN2Parity, MappingMatchesOfficialForEverySeed) {
  torch::NoGradGuard no_grad;
  double worst = 0;
  for (int seed = 0; seed < 3; ++seed) {
    const std::string s = "seed" + std::to_string(seed);
    const torch::Tensor z = fx().array(s + "_z");
    worst = std::max(worst, max_abs_diff(model()->map(z), fx().array(s + "_w_psi1")));
    worst = std::max(worst, max_abs_diff(model()->map(z, {}, 0.7), fx().array(s + "_w_psi07")));
    // The seed path the tools use: NumPy's RandomState draws, as the official renderer makes z.
    worst = std::max(worst, max_abs_diff(latent_from_seed(*model(), seed, 0.7), fx().array(s + "_w_psi07")));
  }
  std::printf("[ parity ] tf_stylegan2 max |w - official| %.3g\n", worst);
  EXPECT_LE(worst, 1e-6);
}

TEST_F(TensorflowStyleGAN2Parity, ImagesMatchOfficialWithinOneUint8Level) {
  torch::NoGradGuard no_grad;
  double worst = 0;
  int worst_u8 = 0;
  for (int seed = 0; seed < 3; ++seed) {
    for (const std::string psi : {"psi1", "psi07"}) {
      const std::string s = "seed" + std::to_string(seed) + "_";
      const torch::Tensor img = model()->synthesize(fx().array(s + "w_" + psi));
      worst = std::max(worst, max_abs_diff(img, fx().array(s + "img_" + psi)));
    }
    // The displayed image, from the seed as a user asks for it.
    const torch::Tensor ws = latent_from_seed(*model(), seed, 0.7);
    const torch::Tensor u8 =
        (model()->synthesize(ws)[0].permute({1, 2, 0}) * 127.5 + 128).clamp(0, 255).to(torch::kUInt8);
    const torch::Tensor ref = fx().array("seed" + std::to_string(seed) + "_img_psi07_uint8");
    worst_u8 = std::max(worst_u8, (u8.to(torch::kInt32) - ref.to(torch::kInt32)).abs().max().item<int>());
  }
  std::printf("[ parity ] tf_stylegan2 max |image - official| %.3g (of [-1, 1]), max uint8 difference %d\n",
              worst, worst_u8);
  EXPECT_LE(worst, 1e-4);
  EXPECT_LE(worst_u8, 1);
}

TEST_F(TensorflowStyleGAN2Parity, SupervisedFeaturesMatchOfficial) {
  torch::NoGradGuard no_grad;
  SynthesisRequest request;
  request.keep_features = true;
  const SynthesisResult r = g()->synthesize(fx().array("seed0_w_psi07"), request);
  ASSERT_EQ(r.features.size(), 5u);
  double worst = 0;
  for (int i = 0; i < 5; ++i)
    worst =
        std::max(worst, max_abs_diff(r.features[i], fx().array("seed0_block" + std::to_string(i) + "_out")));
  worst = std::max(worst, max_abs_diff(r.features[3], fx().array("seed0_feat3")));
  // The map the drag supervises: block 3 resized to the image as the renderer does.
  const FeatureWindow resized = resize_features(r.features[3], 64, 64);
  const double resized_err = max_abs_diff(resized.features, fx().array("seed0_feat3_resized"));
  std::printf("[ parity ] tf_stylegan2 max |block features - official| %.3g, resized %.3g\n", worst,
              resized_err);
  EXPECT_LE(worst, 1e-4);
  EXPECT_LE(resized_err, 1e-4);
}

TEST_F(TensorflowStyleGAN2Parity, DragFollowsTheOfficialTrajectory) {
  const nlohmann::json& hp = fx().drag_hyperparameters();
  const torch::Tensor points = fx().array("drag2_points_init"), targets = fx().array("drag2_targets");
  const torch::Tensor handles_ref = fx().array("drag2_handles"), ws_ref = fx().array("drag2_ws");
  const torch::Tensor loss_ref = fx().array("drag2_loss"), stop_ref = fx().array("drag2_stop");
  DragParams params;
  params.lr = fx().drag_case("drag2")["lr"].get<double>();
  params.feature_block = hp["feature_idx"].get<int>();
  params.r1 = hp["r1"].get<double>();
  params.r2 = hp["r2"].get<double>();
  params.lambda_mask = hp["lambda_mask"].get<double>();
  const int64_t steps = loss_ref.size(0), n = points.size(0);

  DragSession session(
      model(), latent_from_seed(*model(), hp["seed"].get<uint32_t>(), hp["trunc_psi"].get<double>()), params);
  for (int64_t j = 0; j < n; ++j)  // fixture points are [row, col]
    session.add_pair({points[j][1].item<double>(), points[j][0].item<double>()},
                     {targets[j][1].item<double>(), targets[j][0].item<double>()});
  double worst_ws = 0, worst_loss = 0, image_err = 0;
  int u8_err = 0;
  for (int64_t k = 0; k <= steps; ++k) {
    worst_ws = std::max(worst_ws, max_abs_diff(session.ws()[0], ws_ref[k]));
    if (k == steps) {  // the image after the last optimiser step
      image_err = max_abs_diff(session.image(), fx().array("drag2_img_final"));
      const torch::Tensor u8 = session.image_uint8().to(torch::kInt32);
      u8_err = (u8 - fx().array("drag2_img_final_uint8").to(torch::kInt32)).abs().max().item<int>();
    }
    const DragStepReport r = session.step();  // the call at k = steps only matters for its tracking
    ASSERT_EQ(r.handles.size(), static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      EXPECT_EQ(r.handles[j].y, handles_ref[k][j][0].item<int64_t>()) << "step " << k << " handle " << j;
      EXPECT_EQ(r.handles[j].x, handles_ref[k][j][1].item<int64_t>()) << "step " << k << " handle " << j;
    }
    if (k == steps) break;
    EXPECT_EQ(r.done, stop_ref[k].item<bool>()) << "step " << k;
    const double expected = loss_ref[k].item<double>();
    worst_loss = std::max(worst_loss, std::abs(r.loss - expected) / std::max(std::abs(expected), 1e-12));
  }
  EXPECT_LE(worst_ws, 1e-4);
  EXPECT_LE(worst_loss, 1e-4);
  EXPECT_LE(image_err, 1e-3);
  EXPECT_LE(u8_err, 1);
  std::printf(
      "[ parity ] tf_stylegan2 drag2: max |ws - official| %.3g, loss rel err %.3g, final image %.3g, "
      "uint8 diff %d\n",
      worst_ws, worst_loss, image_err, u8_err);
}

TEST_F(TensorflowStyleGAN2Parity, ConvertedSafetensorsGiveTheSameImageAndDiscriminator) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("draggan_tf_parity_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "tf.safetensors").string();
  save_model(out, *model(), model_->discriminator, model_->discriminator_config);
  LoadedModel back = load_model(out);
  EXPECT_EQ(back.format, "safetensors");
  EXPECT_EQ(back.generator->family(), "stylegan2");
  EXPECT_EQ(back.generator->config_json(), model()->config_json());
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = fx().array("seed1_w_psi07");
  EXPECT_TRUE(torch::equal(back.generator->synthesize(ws), model()->synthesize(ws)));
  ASSERT_EQ(back.discriminator.size(), model_->discriminator.size());
  for (const auto& [name, t] : model_->discriminator)
    EXPECT_TRUE(torch::equal(back.discriminator.at(name), t)) << name;
  EXPECT_EQ(back.discriminator_config, model_->discriminator_config);
  std::filesystem::remove_all(dir);
}

}  // namespace tensorflow_stylegan2_parity_test
}  // namespace draggan
