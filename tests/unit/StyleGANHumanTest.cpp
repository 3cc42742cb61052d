// StyleGAN-Human as a StyleGAN2 config (square = false) on random generators: the 2:1 layout of every map, the
// config's JSON round trip, windowed synthesis on 2:1 maps, and a drag on the realistic 256x128 shape (z = w =
// 512) whose windowed steps equal whole-canvas steps.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>

#include "draggan/core/Error.h"
#include "draggan/drag/DragSession.h"
#include "draggan/nn/stylegan2/RegionSynthesis.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"

namespace draggan {
namespace stylegan_human_test {

GeneratorConfig human_config(int resolution, int z_dim, int channel_base, int channel_max) {
  GeneratorConfig c;
  c.z_dim = c.w_dim = z_dim;
  c.mapping_layers = 2;
  c.img_resolution = resolution;
  c.channel_base = channel_base;
  c.channel_max = channel_max;
  c.square = false;
  c.w_avg_beta = 0.995;
  return c;
}

// Non-zero noise strengths, biases and w_avg so that every path (noise windows, truncation centre) matters.
std::shared_ptr<StyleGAN2Model> random_model(const GeneratorConfig& config, uint64_t seed) {
  torch::manual_seed(seed);
  Generator g(config);
  torch::NoGradGuard no_grad;
  for (auto& item : g->named_parameters()) {
    const std::string& name = item.key();
    if (name.find("noise_strength") != std::string::npos || name.find(".bias") != std::string::npos)
      item.value().copy_(torch::randn_like(item.value()) * 0.3);
  }
  g->mapping->w_avg.copy_(torch::randn_like(g->mapping->w_avg) * 0.5);
  g->eval();
  for (auto& p : g->parameters()) p.set_requires_grad(false);
  return std::make_shared<StyleGAN2Model>(g);
}

TEST(StyleGANHumanConfig, EveryMapIsTwoToOne) {
  auto model = random_model(human_config(64, 16, 512, 32), 1);
  Generator& g = model->network();
  for (const auto& block : g->synthesis->blocks) {
    const int64_t r = block->options().resolution;
    EXPECT_EQ(block->width(), r / 2);
    if (block->const_input.defined()) EXPECT_EQ(block->const_input.sizes(), (std::vector<int64_t>{32, 4, 2}));
    EXPECT_EQ(block->conv1->noise_const.sizes(), (std::vector<int64_t>{r, r / 2}));
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = model->map(torch::randn({2, 16}), {}, 0.7);
  EXPECT_EQ(model->synthesize(ws).sizes(), (std::vector<int64_t>{2, 3, 64, 32}));
  EXPECT_EQ(model->family(), "stylegan-human");
  EXPECT_EQ(model->image_shape().width, 32);
  EXPECT_EQ(model->feature_canvas().image_left, 16);
}

TEST(StyleGANHumanConfig, JsonRoundTripKeepsTheLayoutAndOldFilesAreSquare) {
  const GeneratorConfig c = human_config(128, 16, 512, 32);
  const GeneratorConfig back = GeneratorConfig::from_json(c.to_json());
  EXPECT_FALSE(back.square);
  EXPECT_EQ(back.to_json(), c.to_json());
  nlohmann::json old = c.to_json();
  old.erase("square");
  EXPECT_TRUE(GeneratorConfig::from_json(old).square);
  old["square"] = "no";
  EXPECT_THROW(GeneratorConfig::from_json(old), CheckpointError);
}

TEST(StyleGANHumanConfig, MappingTruncatesPerSampleAndNeverMovesWAvg) {
  auto model = random_model(human_config(64, 16, 512, 32), 2);
  torch::NoGradGuard no_grad;
  const torch::Tensor w_avg = model->network()->mapping->w_avg.clone();
  const torch::Tensor z = torch::randn({3, 16});
  const torch::Tensor batch = model->map(z, {}, 0.5);
  // Each sample as if alone: batching does not change a sample's latent.
  for (int64_t i = 0; i < 3; ++i) EXPECT_TRUE(torch::allclose(batch[i], model->map(z[i].unsqueeze(0), {}, 0.5)[0]));
  EXPECT_TRUE(torch::equal(model->map(z, {}, 0.5), batch));
  EXPECT_TRUE(torch::equal(model->network()->mapping->w_avg, w_avg));
  // The centre is one EMA step (beta 0.995) from the stored w_avg towards the sample.
  const torch::Tensor w1 = model->map(z.slice(0, 0, 1), {}, 1.0);
  const torch::Tensor center = w_avg * 0.995 + w1[0][0] * 0.005;
  EXPECT_TRUE(torch::allclose(model->map(z.slice(0, 0, 1), {}, 0.0)[0][0], center, 1e-5, 1e-6));
}

TEST(StyleGANHumanConfig, WindowedSynthesisMatchesTheFullPassOnTwoToOneMaps) {
  auto model = random_model(human_config(128, 16, 512, 16), 3);
  Generator& g = model->network();
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = g->map(torch::randn({1, 16}));
  SynthesisRequest full_request;
  full_request.keep_features = true;
  const SynthesisResult full = g->synthesize(ws, full_request);
  const int last = static_cast<int>(full.features.size()) - 1;
  for (int block : {last - 1, last}) {
    const int64_t rows = full.features[block].size(2), cols = full.features[block].size(3);
    ASSERT_EQ(cols, rows / 2);
    for (const PixelWindow& w : {PixelWindow{0, 0, 5, 7}, PixelWindow{rows / 2, cols - 6, 9, 6},
                                 PixelWindow{rows - 4, cols - 1, 4, 1}, PixelWindow::whole(MapSize{rows, cols})}) {
      const torch::Tensor part = synthesize_block_window(*g->synthesis, ws, block, w, NoiseMode::Const);
      const torch::Tensor expected =
          full.features[block].slice(2, w.row0, w.row_end()).slice(3, w.col0, w.col_end());
      EXPECT_LE((part - expected).abs().max().item<double>(), 1e-5) << "block " << block << " col " << w.col0;
    }
    // A window past the 2:1 map's last column is refused.
    EXPECT_THROW(synthesize_block_window(*g->synthesis, ws, block, PixelWindow{0, cols - 2, 4, 4}, NoiseMode::Const),
                 InputError);
  }
}

// The hidden check's shape: 256x128, z = w = 512, official defaults (block 5 = b128, r1 3, r2 12). One handle
// near the left border (its windows reach into the padding), one inside; windowed steps against whole-canvas
// steps of the same drag.
TEST(StyleGANHumanConfig, RealisticShapeDragIsTheSameWindowedAndWhole) {
  GeneratorConfig c = human_config(256, 512, 16384, 512);
  c.mapping_layers = 8;
  auto model = random_model(c, 4);
  ASSERT_EQ(model->default_feature_layer(), 5);
  const torch::Tensor ws0 = latent_from_seed(*model, 0, 0.7);
  const std::vector<DragPair> pairs = {{{3, 60}, {20, 70}}, {{70, 180}, {60, 150}}};
  DragParams windowed;
  windowed.lr = 0.01;
  DragParams whole = windowed;
  whole.windowed_synthesis = false;
  DragSession a(model, ws0, windowed), b(model, ws0, whole);
  a.set_pairs(pairs);
  b.set_pairs(pairs);
  EXPECT_EQ(a.resolved().r1_pixels, 2);  // round(3 / 512 * 256) = round(1.5) = 2
  EXPECT_EQ(a.resolved().r2_pixels, 6);
  for (int k = 0; k < 2; ++k) {
    const DragStepReport ra = a.step(), rb = b.step();
    for (size_t j = 0; j < pairs.size(); ++j) {
      EXPECT_EQ(ra.handles[j].x, rb.handles[j].x) << "step " << k;
      EXPECT_EQ(ra.handles[j].y, rb.handles[j].y) << "step " << k;
    }
    EXPECT_NEAR(ra.loss, rb.loss, 1e-4 * std::abs(rb.loss) + 1e-7) << "step " << k;
  }
  // Adam divides each gradient by its own size, so a coordinate whose gradient is near rounding noise moves by a
  // fraction of lr however the sums were ordered: 5e-5 is 0.25% of the 2 steps' reach (1.4e-5 seen on one CPU).
  EXPECT_LE((a.ws() - b.ws()).abs().max().item<double>(), 5e-5);
  EXPECT_EQ(a.image_uint8().sizes(), (std::vector<int64_t>{256, 128, 3}));
}

TEST(StyleGANHumanConfig, PointsMayLieOnTheCanvasButNotBeyondIt) {
  auto model = random_model(human_config(64, 16, 512, 32), 5);
  DragSession s(model, latent_from_seed(*model, 0, 0.7));
  EXPECT_NO_THROW(s.add_pair({-16, 10}, {47, 10}));  // the canvas is x -16..47 around the 32-px image
  EXPECT_THROW(s.add_pair({-17, 10}, {0, 0}), InputError);
  EXPECT_THROW(s.add_pair({0, 0}, {48, 0}), InputError);
  EXPECT_THROW(s.set_mask(torch::zeros({32, 64})), InputError);  // transposed
}

}  // namespace stylegan_human_test
}  // namespace draggan
