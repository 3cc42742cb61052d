// DragSession on the fixture generator: a drag that reaches its target, latent spaces, editing between
// steps, reset, outputs, and clear errors on bad input.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>

#include "draggan/core/Error.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/ModelFile.h"

namespace draggan {
namespace drag_session_test {

const std::string kModel = std::string(DRAGGAN_TEST_DATA) + "/tiny_sg2.pkl";

// A drag on the fixture model that converges (found by running it; the random generator has few features
// that move, so not every pair does).
constexpr double kConvergeLr = 0.01;
constexpr DragPoint kConvergeHandle{22, 30};
constexpr DragPoint kConvergeTarget{30, 30};
constexpr int kConvergeSteps = 80;

class DragSessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = std::make_unique<LoadedModel>(load_model(kModel)); }
  static void TearDownTestSuite() { model_.reset(); }
  static const GeneratorPtr& g() { return model_->generator; }
  // The fixtures' radii (2 and 6 px on this 64-px model), block 3.
  static DragParams params(double lr) {
    DragParams p;
    p.lr = lr;
    p.r1 = 16;
    p.r2 = 48;
    return p;
  }
  static std::unique_ptr<LoadedModel> model_;
};
std::unique_ptr<LoadedModel> DragSessionTest::model_;

TEST_F(DragSessionTest, HandleReachesItsTarget) {
  DragSession s(g(), latent_from_seed(*g(), 0, 0.7), params(kConvergeLr));
  s.add_pair(kConvergeHandle, kConvergeTarget);
  DragStepReport r;
  const double start = std::hypot(kConvergeTarget.x - kConvergeHandle.x,
                                  kConvergeTarget.y - kConvergeHandle.y);
  for (int k = 0; k < kConvergeSteps && !r.done; ++k) r = s.step();
  EXPECT_TRUE(r.done) << "handle at (" << r.handles[0].x << ", " << r.handles[0].y << "), " << r.distances[0]
                      << " px from the target (started " << start << " px away)";
  EXPECT_LE(r.distances[0], s.resolved().stop_distance);
  // Done means no optimiser step: the latent stays put.
  torch::Tensor before = s.ws();
  EXPECT_TRUE(s.step().done);
  EXPECT_TRUE(torch::equal(before, s.ws()));
}

TEST_F(DragSessionTest, WPlusMovesOnlyTheFirstSixLayers) {
  torch::Tensor ws0 = latent_from_seed(*g(), 0, 0.7);
  DragSession s(g(), ws0, params(0.01));
  s.add_pair({22, 30}, {38, 30});
  for (int k = 0; k < 3; ++k) s.step();
  torch::Tensor ws = s.ws();
  EXPECT_GT((ws - ws0).slice(1, 0, 6).abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(ws.slice(1, 6), ws0.slice(1, 6)));
  EXPECT_EQ(s.steps_taken(), 3);
}

TEST_F(DragSessionTest, WSpaceSharesOneVectorAcrossTheOptimisedLayers) {
  torch::Tensor ws0 = latent_from_seed(*g(), 0, 0.7);
  DragSession s(g(), ws0, params(0.01), LatentSpace::W);
  s.add_pair({22, 30}, {38, 30});
  for (int k = 0; k < 3; ++k) s.step();
  torch::Tensor ws = s.ws();
  for (int l = 1; l < 6; ++l) EXPECT_TRUE(torch::equal(ws.select(1, l), ws.select(1, 0)));
  EXPECT_FALSE(torch::equal(ws.select(1, 0), ws0.select(1, 0)));
  EXPECT_TRUE(torch::equal(ws.slice(1, 6), ws0.slice(1, 6)));
}

TEST_F(DragSessionTest, FirstOptimisedLayerKeepsTheRowsBeforeItFixed) {
  torch::Tensor ws0 = latent_from_seed(*g(), 0, 0.7);
  for (LatentSpace space : {LatentSpace::WPlus, LatentSpace::W}) {
    DragParams p = params(0.01);
    p.first_optimized_layer = 2;
    DragSession s(g(), ws0, p, space);
    s.add_pair({22, 30}, {38, 30});
    for (int k = 0; k < 3; ++k) s.step();
    torch::Tensor ws = s.ws();
    EXPECT_TRUE(torch::equal(ws.slice(1, 0, 2), ws0.slice(1, 0, 2))) << to_string(space);
    EXPECT_GT((ws - ws0).slice(1, 2, 6).abs().max().item<float>(), 0.0f) << to_string(space);
    EXPECT_TRUE(torch::equal(ws.slice(1, 6), ws0.slice(1, 6))) << to_string(space);
    if (space == LatentSpace::WPlus) {  // W has one vector for all its rows: a mixed latent has no W form
      // Changing the first row mid-edit keeps the edit so far.
      p.first_optimized_layer = 0;
      s.set_params(p);
      EXPECT_TRUE(torch::equal(s.ws(), ws));
    }
  }
  DragParams bad = params(0.01);
  bad.first_optimized_layer = 6;  // nothing left to optimise
  EXPECT_THROW(DragSession(g(), ws0, bad), InputError);
}

TEST_F(DragSessionTest, QuadraticPullKeepsTheLatentNearItsStart) {
  torch::Tensor ws0 = latent_from_seed(*g(), 0, 0.7);
  auto moved_after = [&](double reg_l2) {
    DragParams p = params(0.01);
    p.reg_l2 = reg_l2;
    DragSession s(g(), ws0, p);
    s.add_pair({22, 30}, {38, 30});
    for (int k = 0; k < 20; ++k) s.step();
    return (s.ws() - ws0).square().mean().item<double>();
  };
  const double free = moved_after(0.0), pulled = moved_after(1e4);
  EXPECT_GT(free, 0.0);
  EXPECT_LT(pulled, 0.5 * free);
}

TEST_F(DragSessionTest, ResetReturnsToTheStart) {
  torch::Tensor ws0 = latent_from_seed(*g(), 0, 0.7);
  DragSession s(g(), ws0, params(0.01));
  s.add_pair({24, 28}, {36, 36});
  torch::Tensor first = s.image_uint8();
  for (int k = 0; k < 4; ++k) s.step();
  s.reset();
  EXPECT_TRUE(torch::equal(s.ws(), ws0));
  EXPECT_EQ(s.pairs()[0].handle.x, 24);
  EXPECT_EQ(s.pairs()[0].handle.y, 28);
  EXPECT_EQ(s.steps_taken(), 0);
  EXPECT_TRUE(torch::equal(s.image_uint8(), first));
}

TEST_F(DragSessionTest, PairsCanChangeBetweenSteps) {
  DragSession s(g(), latent_from_seed(*g(), 0, 0.7), params(0.01));
  s.add_pair({22, 30}, {38, 30});
  s.step();
  EXPECT_EQ(s.add_pair({40, 40}, {30, 40}), 1);
  EXPECT_EQ(s.step().handles.size(), 2u);
  s.set_target(0, {10.5, 30});
  s.remove_pair(1);
  DragStepReport r = s.step();
  ASSERT_EQ(r.handles.size(), 1u);
  EXPECT_NEAR(r.distances[0], std::hypot(10.5 - r.handles[0].x, 30 - r.handles[0].y), 1e-4);
  EXPECT_THROW(s.remove_pair(3), InputError);
}

TEST_F(DragSessionTest, OutputsHaveTheImageSize) {
  DragSession s(g(), latent_from_seed(*g(), 0, 0.7), params(0.01));
  s.add_pair({22, 30}, {38, 30});
  EXPECT_EQ(s.preview().sizes(), (std::vector<int64_t>{1, 3, 64, 64}));  // before any step: the image
  s.step();
  EXPECT_EQ(s.preview().sizes(), (std::vector<int64_t>{1, 3, 64, 64}));  // skip-branch RGB, resized
  EXPECT_EQ(s.image_uint8().sizes(), (std::vector<int64_t>{64, 64, 3}));
  EXPECT_EQ(s.image_uint8().scalar_type(), torch::kUInt8);
}

TEST_F(DragSessionTest, BadInputGetsClearErrors) {
  DragSession s(g(), latent_from_seed(*g(), 0, 0.7), params(0.01));
  EXPECT_THROW(s.step(), InputError);  // no pairs
  EXPECT_THROW(s.add_pair({64, 10}, {10, 10}), InputError);
  EXPECT_THROW(s.add_pair({10, 10}, {10, -3}), InputError);
  EXPECT_THROW(s.add_pair({std::nan(""), 10}, {10, 10}), InputError);
  EXPECT_THROW(s.set_mask(torch::ones({32, 32})), InputError);
  DragParams p = params(std::nan(""));
  EXPECT_THROW(s.set_params(p), InputError);
  EXPECT_THROW(DragSession(g(), torch::zeros({1, 3, 64})), InputError);
}

}  // namespace drag_session_test
}  // namespace draggan
