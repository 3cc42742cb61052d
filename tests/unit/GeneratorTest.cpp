// Structure and behaviour of the generator that do not need the official fixtures: layout, names, shapes,
// architectures, truncation, noise modes and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "draggan/core/Error.h"
#include "draggan/core/StateDict.h"
#include "draggan/nn/stylegan2/Generator.h"

namespace draggan {
namespace generator_test {

GeneratorConfig small_config(const std::string& architecture = "skip") {
  GeneratorConfig c;
  c.z_dim = 16;
  c.w_dim = 16;
  c.mapping_layers = 2;
  c.img_resolution = 32;
  c.channel_base = 256;
  c.channel_max = 32;
  c.conv_clamp = 256;
  c.architecture = architecture;
  return c;
}

int64_t numel_of(const std::vector<torch::Tensor>& tensors) {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.numel();
  return n;
}

TEST(Generator, Default256pxLayoutMatchesOfficialCounts) {
  GeneratorConfig c;  // z = w = 512, 8 mapping layers, 256 px, channel_base 32768, channel_max 512
  Generator g(c);
  EXPECT_EQ(c.num_ws(), 14);
  EXPECT_EQ(g->synthesis->num_ws(), 14);
  // Numbers from the official networks.py for the same arguments.
  EXPECT_EQ(numel_of(g->parameters()), 30034338);
  EXPECT_EQ(g->parameters().size(), 110u);
  EXPECT_EQ(numel_of(g->buffers()), 175568);
  EXPECT_EQ(g->buffers().size(), 34u);
}

TEST(Generator, RegistersOfficialStateDictNames) {
  Generator g(small_config());
  StateDict sd = state_dict_of(*g);
  for (const char* name :
       {"mapping.fc0.weight", "mapping.fc1.bias", "mapping.w_avg", "synthesis.b4.const", "synthesis.b4.resample_filter",
        "synthesis.b4.conv1.noise_strength", "synthesis.b4.conv1.noise_const", "synthesis.b4.torgb.affine.weight",
        "synthesis.b8.conv0.weight", "synthesis.b8.conv0.resample_filter", "synthesis.b8.conv0.affine.bias",
        "synthesis.b32.torgb.bias"})
    EXPECT_TRUE(sd.count(name)) << name;
  EXPECT_FALSE(sd.count("synthesis.b4.conv0.weight"));
  EXPECT_FALSE(sd.count("mapping.embed.weight"));
  EXPECT_EQ(sd["synthesis.b8.conv1.noise_strength"].dim(), 0);
  EXPECT_EQ(sd["synthesis.b16.conv0.noise_const"].sizes(), (std::vector<int64_t>{16, 16}));
  EXPECT_TRUE(torch::allclose(sd["synthesis.b8.resample_filter"],
                              torch::outer(torch::tensor({1.f, 3.f, 3.f, 1.f}), torch::tensor({1.f, 3.f, 3.f, 1.f})) /
                                  64.0));
}

TEST(Generator, WsSlicesFollowOfficialLayout) {
  Generator g(small_config());
  // b4 reads ws 0..1, b8 1..3, b16 3..5, b32 5..8 (conv0, conv1, toRGB; the last toRGB adds one).
  EXPECT_EQ(g->synthesis->block_w_offsets(), (std::vector<int>{0, 1, 3, 5}));
  EXPECT_EQ(g->synthesis->num_ws(), 8);
}

TEST(Generator, SkipArchitectureProducesImageOfConfiguredShape) {
  Generator g(small_config());
  torch::NoGradGuard no_grad;
  torch::Tensor img = g->forward(torch::randn({2, 16}));
  EXPECT_EQ(img.sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_TRUE(torch::isfinite(img).all().item<bool>());
}

TEST(Generator, OrigArchitectureHasToRGBOnlyOnLastBlock) {
  Generator g(small_config("orig"));
  StateDict sd = state_dict_of(*g);
  EXPECT_FALSE(sd.count("synthesis.b4.torgb.weight"));
  EXPECT_FALSE(sd.count("synthesis.b16.torgb.weight"));
  EXPECT_TRUE(sd.count("synthesis.b32.torgb.weight"));
  EXPECT_EQ(g->synthesis->num_ws(), 8);
  torch::NoGradGuard no_grad;
  SynthesisRequest request;
  request.stop_after_block = 2;
  SynthesisResult partial = g->synthesize(g->map(torch::randn({1, 16})), request);
  EXPECT_FALSE(partial.partial_image.defined());  // no RGB exists before the last block
  EXPECT_EQ(g->forward(torch::randn({3, 16})).sizes(), (std::vector<int64_t>{3, 3, 32, 32}));
}

TEST(Generator, ResnetArchitectureHasSkipBranches) {
  Generator g(small_config("resnet"));
  StateDict sd = state_dict_of(*g);
  EXPECT_TRUE(sd.count("synthesis.b8.skip.weight"));
  EXPECT_TRUE(sd.count("synthesis.b8.skip.resample_filter"));
  EXPECT_FALSE(sd.count("synthesis.b8.skip.bias"));
  EXPECT_FALSE(sd.count("synthesis.b4.skip.weight"));
  EXPECT_EQ(sd["synthesis.b16.skip.weight"].sizes(), (std::vector<int64_t>{16, 32, 1, 1}));
  torch::NoGradGuard no_grad;
  EXPECT_EQ(g->forward(torch::randn({2, 16})).sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
}

TEST(Generator, GrayscaleGeneratorOutputsOneChannel) {
  GeneratorConfig c = small_config();
  c.img_channels = 1;
  Generator g(c);
  EXPECT_EQ(state_dict_of(*g)["synthesis.b32.torgb.weight"].sizes(), (std::vector<int64_t>{1, 8, 1, 1}));
  torch::NoGradGuard no_grad;
  EXPECT_EQ(g->forward(torch::randn({2, 16})).sizes(), (std::vector<int64_t>{2, 1, 32, 32}));
}

TEST(Generator, ConditionalGeneratorEmbedsLabelAndRequiresIt) {
  GeneratorConfig c = small_config();
  c.c_dim = 5;
  Generator g(c);
  StateDict sd = state_dict_of(*g);
  EXPECT_EQ(sd["mapping.embed.weight"].sizes(), (std::vector<int64_t>{16, 5}));
  EXPECT_EQ(sd["mapping.fc0.weight"].sizes(), (std::vector<int64_t>{16, 32}));
  torch::NoGradGuard no_grad;
  torch::Tensor z = torch::randn({2, 16});
  torch::Tensor label = torch::zeros({2, 5});
  label.index_put_({0, 1}, 1.0);
  label.index_put_({1, 3}, 1.0);
  torch::Tensor ws = g->map(z, label);
  EXPECT_EQ(ws.sizes(), (std::vector<int64_t>{2, 8, 16}));
  torch::Tensor swapped = g->map(z, label.flip({0}));
  EXPECT_GT((ws - swapped).abs().max().item<float>(), 1e-4);  // the label changes w
  EXPECT_THROW(g->map(z), InputError);
}

TEST(Generator, TruncationLerpsTowardsWAvgUpToCutoff) {
  Generator g(small_config());
  torch::NoGradGuard no_grad;
  g->mapping->w_avg.normal_();
  torch::Tensor z = torch::randn({2, 16});
  torch::Tensor ws = g->map(z);
  torch::Tensor truncated = g->map(z, {}, 0.5, 3);
  torch::Tensor expected_head = g->mapping->w_avg + 0.5 * (ws.narrow(1, 0, 3) - g->mapping->w_avg);
  EXPECT_TRUE(torch::allclose(truncated.narrow(1, 0, 3), expected_head, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(truncated.narrow(1, 3, 5), ws.narrow(1, 3, 5)));
  // All ws rows of the untruncated mapping are the same broadcast w.
  EXPECT_TRUE(torch::equal(ws.select(1, 0), ws.select(1, 7)));
}

TEST(Generator, NoiseModesBehaveAsOfficial) {
  Generator g(small_config());
  torch::NoGradGuard no_grad;
  for (auto& p : g->named_parameters())
    if (p.key().find("noise_strength") != std::string::npos) p.value().fill_(0.5);
  torch::Tensor ws = g->map(torch::randn({1, 16}));
  auto image = [&](NoiseMode mode) {
    SynthesisRequest request;
    request.noise = mode;
    return g->synthesize(ws, request).image;
  };
  EXPECT_TRUE(torch::equal(image(NoiseMode::Const), image(NoiseMode::Const)));
  EXPECT_TRUE(torch::equal(image(NoiseMode::None), image(NoiseMode::None)));
  EXPECT_FALSE(torch::equal(image(NoiseMode::Random), image(NoiseMode::Random)));
  EXPECT_FALSE(torch::allclose(image(NoiseMode::Const), image(NoiseMode::None)));
}

TEST(Generator, BatchedGroupedConvolutionMatchesPerSamplePasses) {
  for (const std::string arch : {"skip", "orig", "resnet"}) {
    Generator g(small_config(arch));
    torch::NoGradGuard no_grad;
    torch::Tensor ws = g->map(torch::randn({3, 16}));
    torch::Tensor batched = g->synthesize(ws).image;
    for (int i = 0; i < 3; ++i) {
      torch::Tensor single = g->synthesize(ws.narrow(0, i, 1)).image;
      EXPECT_LE((batched.narrow(0, i, 1) - single).abs().max().item<float>(), 1e-5) << arch << " sample " << i;
    }
  }
}

TEST(Generator, GradientsReachWsThroughEveryArchitecture) {
  for (const std::string arch : {"skip", "orig", "resnet"}) {
    Generator g(small_config(arch));
    for (int64_t batch : {1, 2}) {
      torch::Tensor ws = g->map(torch::randn({batch, 16})).detach().requires_grad_(true);
      g->synthesize(ws).image.square().mean().backward();
      ASSERT_TRUE(ws.grad().defined()) << arch;
      // Every ws row feeds some layer, so every row gets a gradient.
      torch::Tensor per_row = ws.grad().abs().sum(std::vector<int64_t>{0, 2});
      EXPECT_TRUE((per_row > 0).all().item<bool>()) << arch << " batch " << batch;
    }
  }
}

TEST(Generator, StopAfterBlockOutOfRangeIsAnInputError) {
  Generator g(small_config());
  torch::NoGradGuard no_grad;
  SynthesisRequest request;
  request.stop_after_block = 4;
  torch::Tensor ws = g->map(torch::randn({1, 16}));
  EXPECT_THROW(g->synthesize(ws, request), InputError);
  EXPECT_THROW(g->synthesize(ws.narrow(1, 0, 7)), InputError);
  EXPECT_THROW(g->map(torch::randn({1, 15})), InputError);
}

TEST(Generator, RejectsUnbuildableConfigs) {
  GeneratorConfig c = small_config();
  c.img_resolution = 48;
  EXPECT_THROW(Generator{c}, CheckpointError);
  c = small_config("stylegan3");
  EXPECT_THROW(Generator{c}, CheckpointError);
}

}  // namespace generator_test
}  // namespace draggan
