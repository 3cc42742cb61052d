// LPIPS-VGG16 assembled from the two weight files a person has: names load 1:1, the distance is zero for equal
// images, linear in the lin weights, and (when DRAGGAN_LPIPS_REFERENCE names a folder made by a PyTorch
// reference, see tests/data/README.md "Inversion") equal to PyTorch's value.
#include <gtest/gtest.h>

#include <cstdlib>

#include "draggan/core/Error.h"
#include "draggan/invert/LpipsVgg16.h"
#include "draggan/io/Npy.h"

namespace draggan {
namespace lpips_vgg16_test {

struct RandomLpipsWeights {
  StateDict vgg, lins;
  RandomLpipsWeights() {
    torch::manual_seed(0);
    vgg = state_dict_of(*Vgg16Features());
    lins = state_dict_of(*LpipsHeads());
    for (auto& [name, t] : lins) t = torch::rand_like(t) * 0.1;  // LPIPS lin weights are non-negative
  }
};

TEST(LpipsVgg16, LoadsTorchvisionAndLpipsNamesAndIsZeroOnlyForEqualImages) {
  RandomLpipsWeights w;
  EXPECT_TRUE(w.vgg.count("features.0.weight") && w.vgg.count("features.28.bias"));
  EXPECT_TRUE(w.lins.count("lin0.model.1.weight") && w.lins.count("lin4.model.1.weight"));
  w.vgg["classifier.0.weight"] = torch::zeros({2, 2});  // torchvision's file has more; it is ignored
  LpipsVgg16 lpips(w.vgg, w.lins, torch::kCPU);
  torch::manual_seed(1);
  const torch::Tensor a = torch::rand({2, 3, 32, 32}) * 2 - 1, b = torch::rand({2, 3, 32, 32}) * 2 - 1;
  const torch::Tensor same = lpips.distance(a, a), diff = lpips.distance(a, b);
  ASSERT_EQ(diff.sizes(), (std::vector<int64_t>{2}));
  EXPECT_LT(same.abs().max().item<double>(), 1e-9);
  EXPECT_GT(diff.min().item<double>(), 0.0);

  for (auto& [name, t] : w.lins) t = t * 2;
  LpipsVgg16 doubled(w.vgg, w.lins, torch::kCPU);
  EXPECT_TRUE(torch::allclose(doubled.distance(a, b), diff * 2, 1e-5, 1e-7));
}

TEST(LpipsVgg16, MissingOrMisshapenWeightsAreCheckpointErrors) {
  RandomLpipsWeights w;
  StateDict no_lin = w.lins;
  no_lin.erase("lin3.model.1.weight");
  EXPECT_THROW(LpipsVgg16(w.vgg, no_lin, torch::kCPU), CheckpointError);
  StateDict bad_vgg = w.vgg;
  bad_vgg["features.0.weight"] = torch::zeros({64, 1, 3, 3});
  EXPECT_THROW(LpipsVgg16(bad_vgg, w.lins, torch::kCPU), CheckpointError);
  EXPECT_THROW(LpipsVgg16("/nonexistent/vgg16.pth", "/nonexistent/vgg.pth", torch::kCPU), Error);
}

TEST(LpipsVgg16, MatchesAPyTorchReferenceWhenOneIsGiven) {
  const char* dir = std::getenv("DRAGGAN_LPIPS_REFERENCE");
  if (dir == nullptr) GTEST_SKIP() << "set DRAGGAN_LPIPS_REFERENCE to a folder made by the reference script";
  const std::string d = dir;
  LpipsVgg16 lpips(d + "/vgg16.pth", d + "/lpips_vgg.pth", torch::kCPU);
  const torch::Tensor got = lpips.distance(read_npy(d + "/a.npy"), read_npy(d + "/b.npy"));
  const torch::Tensor expected = read_npy(d + "/expected.npy");
  EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-6)) << got << expected;
}

}  // namespace lpips_vgg16_test
}  // namespace draggan
