// The motion term and the mask term: which pixels, which direction the gradient pushes, what the mask pins.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "draggan/drag/DragMask.h"
#include "draggan/drag/MotionSupervision.h"

namespace draggan {
namespace motion_supervision_test {

TEST(MotionDisc, ExactGridIsTheDiscAroundTheHandle) {
  MotionDisc d = motion_disc(32, 32, 10, 20, 2, /*exact_grid=*/true);
  // |(i, j) - (10, 20)| < 2: the centre, its 4 neighbours and the 4 diagonals (sqrt 2 < 2).
  ASSERT_EQ(d.rows.numel(), 9);
  EXPECT_EQ(d.rows.min().item<int64_t>(), 9);
  EXPECT_EQ(d.cols.max().item<int64_t>(), 21);
}

TEST(MotionDisc, OfficialGridMatchesTheFullLinspaceTest) {
  const int h = 64, row = 40, col = 5, radius = 2;
  torch::Tensor X = torch::linspace(0, h, h);
  auto g = torch::meshgrid({X, X}, "ij");
  torch::Tensor inside = ((g[0] - row).pow(2) + (g[1] - col).pow(2)).pow(0.5) < radius;
  torch::Tensor expected = inside.nonzero();
  MotionDisc d = motion_disc(h, h, row, col, radius, /*exact_grid=*/false);
  ASSERT_EQ(d.rows.numel(), expected.size(0));
  EXPECT_TRUE(torch::equal(d.rows, expected.select(1, 0)));
  EXPECT_TRUE(torch::equal(d.cols, expected.select(1, 1)));
}

TEST(MotionSupervision, NoTermWithinOnePixelOfTheTarget) {
  torch::Tensor f = torch::randn({1, 4, 16, 16});
  EXPECT_FALSE(motion_loss_term(f, 8, 8, 8.0, 9.0, 2, false).defined());
  EXPECT_TRUE(motion_loss_term(f, 8, 8, 8.0, 12.0, 2, false).defined());
}

// Features = a horizontal ramp in x. The term compares F(q) (held) with F(q + d): for a target to the right,
// F(q + d) is larger than F(q), so descending the loss lowers the map at q + d — to the right of the handle —
// i.e. it moves the content that sits at q towards the target.
TEST(MotionSupervision, GradientPullsContentTowardsTheTarget) {
  auto grid = torch::meshgrid({torch::arange(16, torch::kFloat32), torch::arange(16, torch::kFloat32)}, "ij");
  torch::Tensor f = grid[1].reshape({1, 1, 16, 16}).clone().set_requires_grad(true);
  torch::Tensor loss = motion_loss_term(f, 8, 6, 8.0, 12.0, 2, /*exact_grid=*/true);
  ASSERT_TRUE(loss.defined());
  EXPECT_NEAR(loss.item<float>(), 1.0f, 1e-5);  // every q + d is exactly one pixel to the right
  loss.backward();
  torch::Tensor g = f.grad()[0][0];
  // Gradient only on the shifted side (q + d), positive: a step against it lowers F there towards F(q).
  EXPECT_GT(g[8][8].item<float>(), 0.0f);  // (8, 7) + d = (8, 8)
  EXPECT_EQ(g[8][3].item<float>(), 0.0f);  // left of the disc: untouched
  EXPECT_EQ(g.slice(1, 0, 5).abs().sum().item<float>(), 0.0f);
}

TEST(DragMask, TermPinsOnlyTheFixedRegion) {
  torch::Tensor f0 = torch::randn({1, 3, 8, 8});
  torch::Tensor f = (f0 + torch::randn({1, 3, 8, 8})).set_requires_grad(true);
  torch::Tensor mask = torch::zeros({8, 8});
  mask.slice(1, 0, 4).fill_(1.0f);  // left half fixed
  torch::Tensor m = prepare_drag_mask(mask, 8, 8);
  ASSERT_TRUE(mask_term_active(m));
  torch::Tensor loss = mask_loss_term(f, f0, m);
  loss.backward();
  torch::Tensor g = f.grad();
  EXPECT_GT(g.slice(3, 0, 4).abs().min().item<float>(), 0.0f);  // fixed: pulled back to the start features
  EXPECT_EQ(g.slice(3, 4, 8).abs().max().item<float>(), 0.0f);   // free: no force
  // A few descent steps bring the fixed region back to the start features and leave the rest alone.
  torch::Tensor x = f.detach().clone().set_requires_grad(true);
  const torch::Tensor free_before = x.detach().slice(3, 4, 8).clone();
  // The l1 mean's gradient is sign / numel: this lr moves each fixed element 0.02 per step.
  torch::optim::SGD opt({x}, 0.02 * static_cast<double>(x.numel()));
  for (int i = 0; i < 400; ++i) {
    opt.zero_grad();
    mask_loss_term(x, f0, m).backward();
    opt.step();
  }
  EXPECT_LT((x.detach() - f0).slice(3, 0, 4).abs().max().item<float>(), 0.05f);
  EXPECT_TRUE(torch::equal(x.detach().slice(3, 4, 8), free_before));
}

TEST(DragMask, MovableImageBecomesTheOfficialConvention) {
  torch::Tensor painted = torch::zeros({4, 4, 3}, torch::kUInt8);
  painted.index_put_({1, 2}, torch::tensor({255, 255, 255}, torch::kUInt8));
  torch::Tensor m = mask_from_movable_image(painted, 4, 4);
  EXPECT_EQ(m[0][0][1][2].item<float>(), 0.0f);  // painted = may move = 0
  EXPECT_EQ(m[0][0][0][0].item<float>(), 1.0f);  // unpainted = keep = 1
  EXPECT_FALSE(mask_term_active(torch::ones({1, 1, 4, 4})));
  EXPECT_ANY_THROW(prepare_drag_mask(torch::zeros({5, 4}), 4, 4));
}

}  // namespace motion_supervision_test
}  // namespace draggan
