// DragSession::state/restore and its bytes (DragCheckpoint): a drag stopped after any step and carried on by a
// fresh session, as another replica does after a failover, takes exactly the steps the original would have.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>

#include "draggan/core/Error.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/ModelFile.h"
#include "server/session/DragCheckpoint.h"

namespace draggan {
namespace drag_state_test {

const std::string kModel = std::string(DRAGGAN_TEST_DATA) + "/tiny_sg2.pkl";

class DragStateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = std::make_unique<LoadedModel>(load_model(kModel)); }
  static void TearDownTestSuite() { model_.reset(); }
  static const GeneratorPtr& g() { return model_->generator; }
  static DragParams params() {
    DragParams p;
    p.lr = 0.01;
    p.r1 = 16;
    p.r2 = 48;
    p.stop_distance = 0;  // the targets are fractional: every step optimises
    return p;
  }
  // A fresh session set up as the original was (what the editor rebuilds from the stored document).
  static std::unique_ptr<DragSession> make(LatentSpace space, bool masked) {
    auto s = std::make_unique<DragSession>(g(), latent_from_seed(*g(), 3, 0.7), params(), space);
    s->add_pair({22, 30}, {37.5, 29.5});
    s->add_pair({40, 20}, {31.5, 12.5});
    if (masked) {
      torch::Tensor mask = torch::ones({64, 64});
      mask.slice(1, 0, 48).fill_(0);  // the right quarter stays fixed
      s->set_mask(mask);
    }
    return s;
  }
  static void expect_carried_on_exactly(LatentSpace space, bool masked, int stop_after) {
    constexpr int kSteps = 9;
    auto whole = make(space, masked);
    std::vector<DragStepReport> expected;
    for (int k = 0; k < kSteps; ++k) expected.push_back(whole->step());

    auto first = make(space, masked);
    for (int k = 0; k < stop_after; ++k) first->step();
    // Through bytes, as the store keeps it.
    const server::DragCheckpoint sent{7, stop_after, first->state()};
    const server::DragCheckpoint got = server::decode_drag_checkpoint(server::encode_drag_checkpoint(sent));
    EXPECT_EQ(got.serial, 7);
    EXPECT_EQ(got.calls, stop_after);
    first.reset();

    auto second = make(space, masked);
    second->restore(got.state);
    EXPECT_EQ(second->steps_taken(), stop_after);
    for (int k = stop_after; k < kSteps; ++k) {
      const DragStepReport r = second->step();
      ASSERT_EQ(r.handles.size(), expected[k].handles.size());
      for (size_t j = 0; j < r.handles.size(); ++j) {
        EXPECT_EQ(r.handles[j].x, expected[k].handles[j].x) << "step " << k << " pair " << j;
        EXPECT_EQ(r.handles[j].y, expected[k].handles[j].y) << "step " << k << " pair " << j;
      }
      EXPECT_EQ(r.loss, expected[k].loss) << "step " << k;
    }
    EXPECT_TRUE(torch::equal(second->ws(), whole->ws()));
    EXPECT_EQ(second->steps_taken(), whole->steps_taken());
  }
  static std::unique_ptr<LoadedModel> model_;
};
std::unique_ptr<LoadedModel> DragStateTest::model_;

TEST_F(DragStateTest, CarriedOnAfterAnyStepTakesTheSameSteps) {
  for (int stop_after : {0, 1, 4}) expect_carried_on_exactly(LatentSpace::WPlus, false, stop_after);
}

TEST_F(DragStateTest, CarriedOnWithAMaskTakesTheSameSteps) {
  // The mask term compares with the start features, recomputed from the stored latent.
  expect_carried_on_exactly(LatentSpace::WPlus, true, 3);
}

TEST_F(DragStateTest, CarriedOnInWSpaceTakesTheSameSteps) { expect_carried_on_exactly(LatentSpace::W, false, 2); }

TEST_F(DragStateTest, RefusesAStateOfAnotherShape) {
  auto a = make(LatentSpace::WPlus, false);
  a->step();
  DragState s = a->state();
  auto w = make(LatentSpace::W, false);
  EXPECT_THROW(w->restore(s), InputError);  // W optimises one vector, not the W+ rows
  s.handles.pop_back();
  EXPECT_THROW(a->restore(s), InputError);
}

TEST_F(DragStateTest, CheckpointBytesThatAreNotOneAreRefused) {
  EXPECT_THROW(server::decode_drag_checkpoint("not a checkpoint"), Error);
}

}  // namespace drag_state_test
}  // namespace draggan
