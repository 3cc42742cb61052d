// Survival of the image outside a drag's moved region: PSNR and SSIM over the outside pixels only.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/eval/RegionMetrics.h"
#include "draggan/invert/PerceptualLoss.h"

namespace draggan {
namespace region_metrics_test {

torch::Tensor noise_image(int h, int w, int c, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {h, w, c}, torch::kInt64).to(torch::kUInt8);
}

TEST(RegionMetrics, ChangesInsideTheRegionDoNotCount) {
  const torch::Tensor before = noise_image(24, 20, 3, 1);
  torch::Tensor after = before.clone();
  torch::Tensor region = torch::zeros({24, 20}, torch::kBool);
  region.slice(0, 4, 12).slice(1, 6, 14).fill_(true);
  after.slice(0, 4, 12).slice(1, 6, 14).fill_(0);
  EXPECT_TRUE(std::isinf(*psnr_outside(before, after, region)));
  // SSIM at every pixel uses a neighbourhood, so pixels next to the region see the change a little.
  EXPECT_GT(*ssim_outside(before, after, region), 0.85);
  EXPECT_NEAR(*ssim_outside(before, before, region), 1.0, 1e-12);
}

TEST(RegionMetrics, ChangesOutsideAreMeasured) {
  const torch::Tensor before = noise_image(16, 16, 1, 2);
  torch::Tensor after = before.clone();
  after.select(0, 0).fill_(0);  // row 0 blacked out
  torch::Tensor region = torch::zeros({16, 16}, torch::kBool);
  region.slice(0, 8).fill_(true);
  const double mse = (before.select(0, 0).to(torch::kFloat64).square().sum() / (8 * 16)).item<double>();
  EXPECT_NEAR(*psnr_outside(before, after, region), 10 * std::log10(255.0 * 255.0 / mse), 1e-9);
  EXPECT_LT(*ssim_outside(before, after, region), 0.95);
}

TEST(RegionMetrics, NothingOutsideGivesNoNumber) {
  const torch::Tensor a = noise_image(8, 8, 1, 3);
  const torch::Tensor all = torch::ones({8, 8}, torch::kBool);
  EXPECT_FALSE(psnr_outside(a, a, all).has_value());
  EXPECT_FALSE(ssim_outside(a, a, all).has_value());
}

TEST(RegionMetrics, PasteRegionTakesTheRegionFromBefore) {
  const torch::Tensor before = noise_image(6, 6, 3, 4), after = noise_image(6, 6, 3, 5);
  torch::Tensor region = torch::zeros({6, 6}, torch::kBool);
  region[2][3] = true;
  const torch::Tensor p = paste_region(before, after, region);
  EXPECT_TRUE(torch::equal(p[2][3], before[2][3]));
  EXPECT_TRUE(torch::equal(p[0][0], after[0][0]));
}

// A stand-in perceptual metric: mean squared pixel difference (LPIPS needs weights the tests do not have).
class PixelDistance : public PerceptualLoss {
 public:
  std::string name() const override { return "pixels"; }
  std::vector<torch::Tensor> features(const torch::Tensor& image) override { return {image}; }
  torch::Tensor distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) override {
    return (a[0] - b[0]).square().mean({1, 2, 3});
  }
  using PerceptualLoss::distance;
};

TEST(RegionMetrics, PerceptualDistanceOutsideSeesOnlyTheOutside) {
  const torch::Tensor before = noise_image(12, 12, 3, 6);
  torch::Tensor after = before.clone();
  torch::Tensor region = torch::zeros({12, 12}, torch::kBool);
  region.slice(0, 0, 6).fill_(true);
  after.slice(0, 0, 6).fill_(255);
  PixelDistance metric;
  EXPECT_EQ(perceptual_distance_outside(metric, before, after, region, torch::kCPU), 0.0);
  after[10][3].fill_(0);
  EXPECT_GT(perceptual_distance_outside(metric, before, after, region, torch::kCPU), 0.0);
}

TEST(RegionMetrics, RejectsMismatchedInputs) {
  const torch::Tensor a = noise_image(8, 8, 1, 3);
  EXPECT_THROW(psnr_outside(a, noise_image(8, 9, 1, 3), torch::zeros({8, 8}, torch::kBool)), InputError);
  EXPECT_THROW(ssim_outside(a, a, torch::zeros({8, 9}, torch::kBool)), InputError);
}

}  // namespace region_metrics_test
}  // namespace draggan
