// The seeded drag set of `draggan eval`: reproducible, settings balanced, handles on texture, targets inside the
// image at the asked distances, and the moved region around each handle -> target path.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <set>

#include "draggan/core/Error.h"
#include "draggan/eval/DragSet.h"
#include "draggan/eval/TextureMap.h"

namespace draggan {
namespace drag_set_test {

// A textured disc on flat black, different per seed: like a garment on Fashion-MNIST's background.
torch::Tensor textured_disc(uint32_t seed, int h = 32, int w = 32) {
  torch::manual_seed(seed);
  auto grid = torch::meshgrid({torch::arange(h, torch::kFloat32), torch::arange(w, torch::kFloat32)}, "ij");
  const torch::Tensor inside = ((grid[0] - h / 2.0).square() + (grid[1] - w / 2.0).square()) < std::pow(0.35 * std::min(h, w), 2);
  torch::Tensor img = torch::where(inside, torch::rand({h, w}) * 200 + 40, torch::zeros({h, w}));
  return img.to(torch::kUInt8).unsqueeze(-1);
}

bool same_pairs(const std::vector<DragPair>& a, const std::vector<DragPair>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].handle.x != b[i].handle.x || a[i].handle.y != b[i].handle.y || a[i].target.x != b[i].target.x ||
        a[i].target.y != b[i].target.y)
      return false;
  return true;
}

TEST(DragSet, SameSeedSameSetAndShorterSetsArePrefixes) {
  DragSetOptions o;
  o.count = 12;
  o.seed = 5;
  const auto a = make_drag_set(o, 32, 32, [](uint32_t s) { return textured_disc(s); });
  const auto b = make_drag_set(o, 32, 32, [](uint32_t s) { return textured_disc(s); });
  o.count = 5;
  const auto prefix = make_drag_set(o, 32, 32, [](uint32_t s) { return textured_disc(s); });
  ASSERT_EQ(a.size(), 12u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].image_seed, b[i].image_seed);
    EXPECT_TRUE(same_pairs(a[i].pairs, b[i].pairs)) << "drag " << i;
  }
  for (size_t i = 0; i < prefix.size(); ++i) EXPECT_TRUE(same_pairs(a[i].pairs, prefix[i].pairs));
  o.count = 12;
  o.seed = 6;
  const auto other = make_drag_set(o, 32, 32, [](uint32_t s) { return textured_disc(s); });
  int differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i].image_seed != other[i].image_seed;
  EXPECT_GE(differ, 11);
}

TEST(DragSet, CyclesThroughPointCountsMasksAndDistances) {
  DragSetOptions o;
  o.count = 18;
  const auto set = make_drag_set(o, 32, 32, [](uint32_t s) { return textured_disc(s); });
  std::set<std::tuple<int, bool, int>> combos;
  for (const EvalDrag& d : set) {
    EXPECT_EQ(static_cast<int>(d.pairs.size()), d.points);
    combos.insert({d.points, d.masked, d.distance_level});
  }
  EXPECT_EQ(combos.size(), 18u);  // 3 point counts x 2 mask settings x 3 distances, each once
  EXPECT_EQ(set[0].setting_key(), "1pt");
  EXPECT_EQ(set[4].setting_key(), "2pt+mask");
}

TEST(DragSet, HandlesOnTextureTargetsInsideAtTheAskedDistance) {
  DragSetOptions o;
  o.count = 36;
  o.seed = 11;
  for (const EvalDrag& d : make_drag_set(o, 32, 40, [](uint32_t s) { return textured_disc(s, 32, 40); })) {
    const torch::Tensor energy = texture_energy(textured_disc(d.image_seed, 32, 40));
    const double threshold = torch::quantile(energy.flatten(), 0.7).item<double>();
    EXPECT_DOUBLE_EQ(d.nominal_distance, o.distance_fractions[d.distance_level] * 32);  // the shorter side
    for (const DragPair& p : d.pairs) {
      EXPECT_EQ(p.handle.x, std::round(p.handle.x));
      EXPECT_GE(energy[static_cast<int64_t>(p.handle.y)][static_cast<int64_t>(p.handle.x)].item<double>(), threshold);
      EXPECT_GE(p.target.x, 1);
      EXPECT_LE(p.target.x, 38);
      EXPECT_GE(p.target.y, 1);
      EXPECT_LE(p.target.y, 30);
      const double moved = std::hypot(p.target.x - p.handle.x, p.target.y - p.handle.y);
      EXPECT_GE(moved, 0.8 * d.nominal_distance - 0.75);
      EXPECT_LE(moved, 1.2 * d.nominal_distance + 0.75);
    }
    // Apart from each other, on one part of the image (around the first handle).
    for (size_t i = 0; i < d.pairs.size(); ++i) {
      for (size_t j = 0; j < i; ++j)
        EXPECT_GE(std::hypot(d.pairs[i].handle.x - d.pairs[j].handle.x, d.pairs[i].handle.y - d.pairs[j].handle.y),
                  3.2 - 1e-9);
      EXPECT_LT(std::hypot(d.pairs[i].handle.x - d.pairs[0].handle.x, d.pairs[i].handle.y - d.pairs[0].handle.y),
                0.3 * 32);
    }
  }
}

TEST(DragSet, BlankImagesAreAClearError) {
  DragSetOptions o;
  o.count = 1;
  try {
    make_drag_set(o, 16, 16, [](uint32_t) { return torch::zeros({16, 16, 1}, torch::kUInt8); });
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("textured"), std::string::npos) << e.what();
  }
}

TEST(DragSet, MovedRegionIsTheBandAroundEachPath) {
  const torch::Tensor r = moved_region({{{5, 5}, {15, 5}}}, 20, 30, 2.0);
  EXPECT_TRUE(r[5][10].item<bool>());
  EXPECT_TRUE(r[7][5].item<bool>());
  EXPECT_TRUE(r[5][17].item<bool>());
  EXPECT_FALSE(r[8][10].item<bool>());
  EXPECT_FALSE(r[5][18].item<bool>());
  EXPECT_FALSE(r[5][2].item<bool>());
}

TEST(TextureMap, ZeroOnFlatPositiveOnEdges) {
  torch::Tensor img = torch::zeros({10, 10, 1}, torch::kUInt8);
  img.slice(1, 5).fill_(200);
  const torch::Tensor e = texture_energy(img);
  EXPECT_EQ(e[5][1].item<float>(), 0.0f);
  EXPECT_GT(e[5][5].item<float>(), 100.0f);
}

}  // namespace drag_set_test
}  // namespace draggan
