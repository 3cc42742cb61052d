// The LibTorch generator against outputs of the official DragGAN generator (tests/data/README.md): the same
// NVIDIA snapshot, loaded by our pickle reader, must reproduce mapping, block features and images.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/io/NvidiaKwargs.h"
#include "draggan/io/NvidiaPickle.h"
#include "draggan/io/Npy.h"
#include "draggan/nn/stylegan2/Generator.h"

namespace draggan {
namespace generator_parity_test {

const std::string kData = DRAGGAN_TEST_DATA;

torch::Tensor fixture(const std::string& name) { return read_npy(kData + "/" + name + ".npy"); }

float max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<float>();
}

class GeneratorParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    NvidiaSnapshot snapshot = read_nvidia_pkl(kData + "/tiny_sg2.pkl");
    generator_ = std::make_unique<Generator>(generator_config_from_nvidia_kwargs(snapshot.g_init_kwargs));
    load_state_dict(**generator_, snapshot.g_ema, "tiny_sg2.pkl");
    (*generator_)->eval();
  }
  static void TearDownTestSuite() { generator_.reset(); }
  Generator& g() { return *generator_; }

  static std::unique_ptr<Generator> generator_;
};
std::unique_ptr<Generator> GeneratorParity::generator_;

TEST_F(GeneratorParity, ConfigMatchesTheSnapshot) {
  const GeneratorConfig& c = g()->config();
  EXPECT_EQ(c.z_dim, 64);
  EXPECT_EQ(c.w_dim, 64);
  EXPECT_EQ(c.img_resolution, 64);
  EXPECT_EQ(c.num_ws(), 10);
  EXPECT_EQ(g()->synthesis->num_ws(), 10);
  EXPECT_EQ(g()->synthesis->blocks.size(), 5u);
}

TEST_F(GeneratorParity, MappingMatchesOfficialWithAndWithoutTruncation) {
  torch::NoGradGuard no_grad;
  for (int seed = 0; seed < 3; ++seed) {
    const std::string s = "seed" + std::to_string(seed);
    torch::Tensor z = fixture(s + "_z");
    EXPECT_LE(max_abs_diff(g()->map(z), fixture(s + "_w_psi1")), 1e-5) << s;
    EXPECT_LE(max_abs_diff(g()->map(z, {}, 0.7), fixture(s + "_w_psi07")), 1e-5) << s;
  }
}

TEST_F(GeneratorParity, SynthesisMatchesOfficialImagesWithConstNoise) {
  torch::NoGradGuard no_grad;
  for (int seed = 0; seed < 3; ++seed) {
    for (const std::string psi : {"psi1", "psi07"}) {
      const std::string s = "seed" + std::to_string(seed) + "_";
      SynthesisResult r = g()->synthesize(fixture(s + "w_" + psi));
      ASSERT_TRUE(r.image.defined());
      EXPECT_LE(max_abs_diff(r.image, fixture(s + "img_" + psi)), 1e-4) << s << psi;
    }
  }
}

TEST_F(GeneratorParity, ForwardFromZMatchesOfficialTruncatedImage) {
  torch::NoGradGuard no_grad;
  torch::Tensor img = g()->forward(fixture("seed1_z"), {}, 0.7, NoiseMode::Const);
  EXPECT_LE(max_abs_diff(img, fixture("seed1_img_psi07")), 1e-4);
}

TEST_F(GeneratorParity, EveryBlockFeatureMatchesOfficialReturnFeature) {
  torch::NoGradGuard no_grad;
  SynthesisRequest request;
  request.keep_features = true;
  SynthesisResult r = g()->synthesize(fixture("seed0_w_psi07"), request);
  ASSERT_EQ(r.features.size(), 5u);
  for (int i = 0; i < 5; ++i)
    EXPECT_LE(max_abs_diff(r.features[i], fixture("seed0_block" + std::to_string(i) + "_out")), 1e-4) << "block " << i;
  EXPECT_LE(max_abs_diff(r.features[3], fixture("seed0_feat3")), 1e-4);
}

TEST_F(GeneratorParity, StopAfterBlockGivesTheFullPassFeatures) {
  torch::NoGradGuard no_grad;
  torch::Tensor ws = fixture("seed0_w_psi07");
  SynthesisRequest full;
  full.keep_features = true;
  SynthesisResult all = g()->synthesize(ws, full);

  SynthesisRequest partial;
  partial.keep_features = true;
  partial.stop_after_block = 3;
  SynthesisResult part = g()->synthesize(ws, partial);
  EXPECT_FALSE(part.image.defined());
  ASSERT_EQ(part.features.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(torch::equal(part.features[i], all.features[i])) << "block " << i;
  ASSERT_TRUE(part.partial_image.defined());
  EXPECT_EQ(part.partial_image.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
  EXPECT_LE(max_abs_diff(part.features[3], fixture("seed0_feat3")), 1e-4);
}

TEST_F(GeneratorParity, BatchedSynthesisMatchesOfficialPerSample) {
  torch::NoGradGuard no_grad;
  torch::Tensor ws = torch::cat({fixture("seed0_w_psi07"), fixture("seed1_w_psi07"), fixture("seed2_w_psi07")}, 0);
  SynthesisResult r = g()->synthesize(ws);
  for (int seed = 0; seed < 3; ++seed)
    EXPECT_LE(max_abs_diff(r.image.narrow(0, seed, 1), fixture("seed" + std::to_string(seed) + "_img_psi07")), 1e-4)
        << "seed " << seed;
}

TEST_F(GeneratorParity, LatentGradientMatchesFiniteDifference) {
  // The drag engine optimises ws through the synthesis; check the analytic gradient against a central difference.
  torch::Tensor ws = fixture("seed0_w_psi07").to(torch::kFloat64).requires_grad_(true);
  auto loss_of = [&](const torch::Tensor& w) {
    SynthesisRequest request;
    request.stop_after_block = 3;
    request.keep_features = true;
    return g()->synthesize(w.to(torch::kFloat32), request).features[3].to(torch::kFloat64).square().mean();
  };
  torch::Tensor loss = loss_of(ws);
  loss.backward();
  torch::Tensor grad = ws.grad();
  ASSERT_TRUE(grad.defined());
  const int64_t row = 2, col = 5;
  const double h = 1e-2;
  torch::NoGradGuard no_grad;
  torch::Tensor plus = ws.detach().clone(), minus = ws.detach().clone();
  plus.index_put_({0, row, col}, plus.index({0, row, col}) + h);
  minus.index_put_({0, row, col}, minus.index({0, row, col}) - h);
  const double numeric = (loss_of(plus).item<double>() - loss_of(minus).item<double>()) / (2 * h);
  const double analytic = grad.index({0, row, col}).item<double>();
  EXPECT_NEAR(analytic, numeric, 1e-3 + 0.02 * std::abs(numeric));
  // Rows 7.. (b32 toRGB and later blocks) cannot influence block 3 features.
  EXPECT_EQ(grad.narrow(1, 7, 3).abs().max().item<double>(), 0.0);
}

}  // namespace generator_parity_test
}  // namespace draggan
