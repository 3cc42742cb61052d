// Point tracking (DragGAN paper 3.3): nearest feature inside a square window, first minimum wins, clipped
// at the borders as the official slicing clips.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "draggan/core/Error.h"
#include "draggan/drag/PointTracker.h"

namespace draggan {
namespace point_tracker_test {

// Features whose channel vector at (r, c) is (r, c): the L2 distance to the reference (r0, c0) is the
// Euclidean pixel distance, so the nearest neighbour of any reference is known.
torch::Tensor coordinate_features(int h, int w) {
  auto grid = torch::meshgrid({torch::arange(h, torch::kFloat32), torch::arange(w, torch::kFloat32)}, "ij");
  return torch::stack({grid[0], grid[1]}).unsqueeze(0);  // [1, 2, h, w]
}

TEST(PointTracker, FindsNearestFeatureInsideWindow) {
  torch::Tensor f = coordinate_features(20, 20);
  TrackResult t = track_point(f, torch::tensor({12.2f, 9.8f}), 10, 10, 3);
  EXPECT_EQ(t.row, 12);
  EXPECT_EQ(t.col, 10);
  EXPECT_NEAR(t.distance, std::hypot(0.2, 0.2), 1e-5);
}

TEST(PointTracker, StaysInsideTheWindowWhenTheBestMatchIsOutside) {
  torch::Tensor f = coordinate_features(20, 20);
  TrackResult t = track_point(f, torch::tensor({19.0f, 0.0f}), 10, 10, 2);
  EXPECT_EQ(t.row, 12);  // window rows 8..12, cols 8..12: the closest to (19, 0) is (12, 8)
  EXPECT_EQ(t.col, 8);
}

TEST(PointTracker, ClipsTheWindowAtTheBorders) {
  torch::Tensor f = coordinate_features(16, 16);
  // A reference beyond the corner: the best pixel is the map's corner, reached through a clipped window.
  TrackResult t = track_point(f, torch::tensor({-5.0f, -5.0f}), 1, 1, 4);
  EXPECT_EQ(t.row, 0);
  EXPECT_EQ(t.col, 0);
  t = track_point(f, torch::tensor({30.0f, 30.0f}), 14, 15, 4);
  EXPECT_EQ(t.row, 15);
  EXPECT_EQ(t.col, 15);
}

TEST(PointTracker, FirstMinimumInRowMajorOrderWinsTies) {
  torch::Tensor f = torch::zeros({1, 3, 8, 8});
  TrackResult t = track_point(f, torch::zeros({3}), 4, 4, 2);
  EXPECT_EQ(t.row, 2);
  EXPECT_EQ(t.col, 2);
}

TEST(PointTracker, RejectsPointsOutsideTheMap) {
  torch::Tensor f = coordinate_features(8, 8);
  EXPECT_THROW(track_point(f, torch::zeros({2}), 8, 0, 2), InputError);
  EXPECT_THROW(track_point(f, torch::zeros({2}), 0, -1, 2), InputError);
  EXPECT_THROW(track_point(f, torch::zeros({3}), 0, 0, 2), InputError);
}

}  // namespace point_tracker_test
}  // namespace draggan
