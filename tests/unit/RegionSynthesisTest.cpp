// Windowed synthesis must give the same features, and the same gradients, as cropping a full pass.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "draggan/core/Error.h"
#include "draggan/nn/stylegan2/Generator.h"
#include "draggan/nn/stylegan2/RegionSynthesis.h"

namespace draggan {
namespace region_synthesis_test {

GeneratorConfig config_for(const std::string& architecture) {
  GeneratorConfig c;
  c.z_dim = 16;
  c.w_dim = 16;
  c.mapping_layers = 2;
  c.img_resolution = 128;
  c.channel_base = 512;
  c.channel_max = 16;
  c.conv_clamp = 256;
  c.architecture = architecture;
  return c;
}

Generator random_generator(const std::string& architecture) {
  torch::manual_seed(7);
  Generator g(config_for(architecture));
  torch::NoGradGuard no_grad;
  // Non-zero noise strengths and biases so every path of the cone is exercised.
  for (auto& item : g->named_parameters()) {
    const std::string& name = item.key();
    if (name.find("noise_strength") != std::string::npos || name.find(".bias") != std::string::npos)
      item.value().copy_(torch::randn_like(item.value()) * 0.3);
  }
  return g;
}

torch::Tensor window_of(const torch::Tensor& x, const PixelWindow& w) {
  return x.slice(2, w.row0, w.row_end()).slice(3, w.col0, w.col_end());
}

class RegionSynthesis : public ::testing::TestWithParam<std::string> {};

TEST_P(RegionSynthesis, MatchesTheCropOfAFullPassEverywhere) {
  Generator g = random_generator(GetParam());
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = g->map(torch::randn({1, 16}));
  SynthesisRequest full_request;
  full_request.keep_features = true;
  const SynthesisResult full = g->synthesize(ws, full_request);
  const int last = static_cast<int>(full.features.size()) - 1;
  for (int block : {last - 1, last}) {
    const int64_t size = full.features[block].size(2);
    for (const PixelWindow& w : {PixelWindow{0, 0, 5, 7}, PixelWindow{size / 2 - 3, size / 3, 6, 9},
                                 PixelWindow{size - 4, size - 6, 4, 6}, PixelWindow{size / 2, 0, 1, 1},
                                 PixelWindow{3, size - 1, 11, 1}, PixelWindow::whole(size)}) {
      const torch::Tensor part = synthesize_block_window(*g->synthesis, ws, block, w, NoiseMode::Const);
      const torch::Tensor expected = window_of(full.features[block], w);
      ASSERT_EQ(part.sizes(), expected.sizes());
      EXPECT_LE((part - expected).abs().max().item<float>(), 1e-5f)
          << "block " << block << " window " << w.row0 << "," << w.col0 << " " << w.rows << "x" << w.cols;
    }
  }
}

TEST_P(RegionSynthesis, GivesTheSameLatentGradientAsAFullPass) {
  Generator g = random_generator(GetParam());
  for (auto& p : g->parameters()) p.set_requires_grad(false);
  const torch::Tensor ws0 = g->map(torch::randn({1, 16})).detach();
  const int block = static_cast<int>(g->synthesis->blocks.size()) - 2;
  const PixelWindow w{20, 9, 10, 13};
  const int64_t channels = g->synthesis->blocks[block]->options().out_channels;
  const torch::Tensor weights = torch::randn({1, channels, w.rows, w.cols});

  torch::Tensor ws_full = ws0.clone().requires_grad_(true);
  SynthesisRequest request;
  request.stop_after_block = block;
  request.keep_features = true;
  (window_of(g->synthesize(ws_full, request).features.back(), w) * weights).sum().backward();

  torch::Tensor ws_part = ws0.clone().requires_grad_(true);
  (synthesize_block_window(*g->synthesis, ws_part, block, w, NoiseMode::Const) * weights).sum().backward();

  const float scale = ws_full.grad().abs().max().item<float>();
  EXPECT_GT(scale, 0.0f);
  EXPECT_LE((ws_full.grad() - ws_part.grad()).abs().max().item<float>(), 1e-5f * std::max(scale, 1.0f));
}

INSTANTIATE_TEST_SUITE_P(Architectures, RegionSynthesis, ::testing::Values("skip", "orig", "resnet"));

TEST(RegionSynthesisErrors, RejectsWindowsOutsideTheMapAndMissingBlocks) {
  Generator g = random_generator("skip");
  const torch::Tensor ws = g->map(torch::randn({1, 16}));
  EXPECT_THROW(synthesize_block_window(*g->synthesis, ws, 9, PixelWindow{0, 0, 1, 1}, NoiseMode::Const), InputError);
  EXPECT_THROW(synthesize_block_window(*g->synthesis, ws, 2, PixelWindow{14, 0, 4, 4}, NoiseMode::Const),
               InputError);
  EXPECT_THROW(synthesize_block_window(*g->synthesis, ws, 2, PixelWindow{0, 0, 0, 4}, NoiseMode::Const), InputError);
}

}  // namespace region_synthesis_test
}  // namespace draggan
