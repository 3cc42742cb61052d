// The independent tracker of `draggan eval`: normalised cross-correlation of the start image's patch, searched in
// the final image. It must find a known shift in a synthetic pair, whole-pixel and (to the nearest pixel) fractional.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/eval/PatchTracker.h"

namespace draggan {
namespace patch_tracker_test {

// Smooth random texture: a sum of Gaussian blobs, rendered with every blob shifted by (dx, dy), uint8 [H, W, C].
torch::Tensor blobs(int h, int w, int channels, double dx, double dy, uint64_t seed = 7) {
  torch::manual_seed(seed);
  const int n = 60;
  torch::Tensor cx = torch::rand({n}, torch::kFloat64) * w, cy = torch::rand({n}, torch::kFloat64) * h;
  torch::Tensor amp = torch::rand({n, channels}, torch::kFloat64) * 200 + 30;
  torch::Tensor sigma = torch::rand({n}, torch::kFloat64) * 1.5 + 1.2;
  auto grid = torch::meshgrid({torch::arange(h, torch::kFloat64), torch::arange(w, torch::kFloat64)}, "ij");
  torch::Tensor img = torch::zeros({h, w, channels}, torch::kFloat64);
  for (int i = 0; i < n; ++i) {
    const torch::Tensor g = torch::exp(-((grid[1] - cx[i] - dx).square() + (grid[0] - cy[i] - dy).square()) /
                                       (2 * sigma[i].square()));
    img += g.unsqueeze(-1) * amp[i];
  }
  return img.clamp(0, 255).round().to(torch::kUInt8);
}

TEST(PatchTracker, FindsAWholePixelShift) {
  const torch::Tensor before = blobs(48, 40, 3, 0, 0), after = blobs(48, 40, 3, 5, -3);
  PatchTrackOptions options{4, 10};
  for (DragPoint start : {DragPoint{20, 24}, DragPoint{12, 30}, DragPoint{28, 15}}) {
    const PatchTrack t = track_patch(before, after, start, options);
    ASSERT_TRUE(t.valid);
    EXPECT_EQ(t.point.x, start.x + 5) << "start " << start.x << "," << start.y;
    EXPECT_EQ(t.point.y, start.y - 3) << "start " << start.x << "," << start.y;
    EXPECT_GT(t.score, 0.95);
  }
}

TEST(PatchTracker, FindsAFractionalShiftToTheNearestPixel) {
  const torch::Tensor before = blobs(40, 40, 1, 0, 0), after = blobs(40, 40, 1, 2.3, -1.2);
  const PatchTrack t = track_patch(before, after, {20, 20}, PatchTrackOptions{4, 8});
  ASSERT_TRUE(t.valid);
  EXPECT_EQ(t.point.x, 22);
  EXPECT_EQ(t.point.y, 19);
}

TEST(PatchTracker, UnchangedImageStaysPut) {
  const torch::Tensor image = blobs(32, 32, 1, 0, 0);
  const PatchTrack t = track_patch(image, image, {16, 14}, PatchTrackOptions{3, 6});
  EXPECT_DOUBLE_EQ(t.point.x, 16);
  EXPECT_DOUBLE_EQ(t.point.y, 14);
  EXPECT_NEAR(t.score, 1.0, 1e-9);
}

TEST(PatchTracker, FollowsPointsNearTheBorder) {
  const torch::Tensor before = blobs(32, 32, 1, 0, 0), after = blobs(32, 32, 1, -2, 1);
  PatchTrack t = track_patch(before, after, {5, 28}, PatchTrackOptions{3, 5});  // moves to the edge
  EXPECT_EQ(t.point.x, 3);
  EXPECT_EQ(t.point.y, 29);
  // Points on the edge itself are searched with replicated borders (and no crash).
  t = track_patch(before, after, {0, 31}, PatchTrackOptions{3, 5});
  EXPECT_GE(t.point.x, 0);
  EXPECT_LE(t.point.y, 31);
}

TEST(PatchTracker, FlatPatchIsNotTracked) {
  const torch::Tensor flat = torch::full({20, 20, 1}, 17, torch::kUInt8);
  const PatchTrack t = track_patch(flat, blobs(20, 20, 1, 0, 0), {10, 10}, PatchTrackOptions{3, 5});
  EXPECT_FALSE(t.valid);
  EXPECT_DOUBLE_EQ(t.point.x, 10);
}

TEST(PatchTracker, RejectsMismatchedImagesAndOutsidePoints) {
  const torch::Tensor a = blobs(20, 20, 1, 0, 0);
  EXPECT_THROW(track_patch(a, blobs(20, 21, 1, 0, 0), {5, 5}, {}), InputError);
  EXPECT_THROW(track_patch(a, a, {25, 5}, {}), InputError);
  EXPECT_THROW(track_patch(a, a.to(torch::kFloat32), {5, 5}, {}), InputError);
}

TEST(PatchTracker, DefaultOptionsScaleWithTheImageAndTheMove) {
  EXPECT_EQ(patch_track_options(32, 32, 6).patch_radius, 3);
  EXPECT_EQ(patch_track_options(32, 32, 6).search_radius, 9 + 3);
  EXPECT_EQ(patch_track_options(512, 256, 40).patch_radius, 20);  // the shorter side
  EXPECT_EQ(patch_track_options(1024, 1024, 10).patch_radius, 24);
}

}  // namespace patch_tracker_test
}  // namespace draggan
