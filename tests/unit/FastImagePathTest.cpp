// The no-grad image path's hand-written passes against the ATen ops they replace, and the whole fast image
// against the official arithmetic on a 256-px generator of the official shape.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "draggan/io/Image.h"
#include "draggan/nn/FusedEpilogue.h"
#include "draggan/nn/Upfirdn2d.h"
#include "draggan/nn/stylegan2/Generator.h"

namespace draggan {
namespace fast_image_path_test {

torch::Tensor reference_epilogue(torch::Tensor y, const torch::Tensor& noise,
                                 const std::optional<double>& clamp) {
  if (noise.defined()) y.add_(noise);
  torch::leaky_relu_(y, 0.2);
  if (clamp) torch::hardtanh_(y, -*clamp, *clamp);
  return y;
}

TEST(FastImagePath, OnePassEpilogueGivesTheSameBitsAsTheAtenOps) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  for (int64_t channels : {3, 64, 515}) {
    torch::Tensor y = (torch::randn({1, channels, 9, 13}) * 300).contiguous(at::MemoryFormat::ChannelsLast);
    y[0][1 % channels][2][3] = std::numeric_limits<float>::quiet_NaN();
    y[0][2 % channels][4][5] = -std::numeric_limits<float>::infinity();
    const torch::Tensor noise = torch::randn({9, 13}) * 40;
    for (const bool with_noise : {false, true})
      for (const std::optional<double> clamp : {std::optional<double>(), std::optional<double>(256.0)}) {
        const torch::Tensor n = with_noise ? noise : torch::Tensor();
        torch::Tensor fast = y.clone();
        add_noise_leaky_relu_clamp_(fast, n, 0.2, clamp);
        const torch::Tensor expected = reference_epilogue(y.clone(), n, clamp);
        EXPECT_TRUE(torch::equal(fast.nan_to_num(1234.0), expected.nan_to_num(1234.0)))
            << channels << " channels, noise " << with_noise << ", clamp " << clamp.has_value();
        EXPECT_EQ(fast.isnan().sum().item<int64_t>(), expected.isnan().sum().item<int64_t>());
      }
  }
}

TEST(FastImagePath, EpilogueOfAContiguousOrGradMapFallsBackToTheAtenOps) {
  torch::Tensor y = torch::randn({2, 4, 5, 6});
  const torch::Tensor expected = reference_epilogue(y.clone(), torch::Tensor(), 1.0);
  torch::Tensor fast = y.clone();
  add_noise_leaky_relu_clamp_(fast, torch::Tensor(), 0.2, 1.0);
  EXPECT_TRUE(torch::equal(fast, expected));
}

TEST(FastImagePath, DirectUpsampleMatchesUpfirdn2d) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(4);
  for (const std::vector<float>& taps :
       {std::vector<float>{1, 3, 3, 1}, std::vector<float>{1, 2, 1}, std::vector<float>{1, 1}})
    for (const auto& shape : {std::vector<int64_t>{1, 3, 8, 8}, std::vector<int64_t>{2, 1, 5, 7}}) {
      const torch::Tensor f = setup_filter(taps);
      const torch::Tensor x = torch::randn(shape);
      const torch::Tensor expected = upsample2d(x, f, 2), fast = upsample2d_direct(x, f, 2);
      ASSERT_EQ(fast.sizes(), expected.sizes()) << taps.size() << " taps";
      EXPECT_LT((fast - expected).abs().max().item<float>(), 1e-6f) << taps.size() << " taps";
      // A channels-last view of the same image reads the same pixels.
      const torch::Tensor strided = upsample2d_direct(x.contiguous(at::MemoryFormat::ChannelsLast), f, 2);
      EXPECT_TRUE(torch::equal(strided, fast));
    }
}

TEST(FastImagePath, FloatImageToUint8IsTheTensorExpressionsResult) {
  torch::manual_seed(5);
  torch::Tensor img = torch::randn({1, 3, 7, 5}) * 1.5;
  img.view(-1)[0] = std::numeric_limits<float>::quiet_NaN();
  img.view(-1)[1] = std::numeric_limits<float>::infinity();
  img.view(-1)[2] = -std::numeric_limits<float>::infinity();
  img.view(-1)[3] = 1.0f;
  img.view(-1)[4] = -1.0f;
  const torch::Tensor x = img[0];
  const torch::Tensor expected = torch::nan_to_num((x * 127.5 + 128).clamp(0, 255), 0.0)
                                     .to(torch::kUInt8)
                                     .permute({1, 2, 0})
                                     .contiguous();
  EXPECT_TRUE(torch::equal(image_to_uint8(img), expected));
  EXPECT_TRUE(torch::equal(image_to_uint8(img.contiguous(at::MemoryFormat::ChannelsLast)), expected));
}

TEST(FastImagePath, FastImageOfA256pxGeneratorMatchesTheOfficialArithmetic) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(6);
  GeneratorConfig config;  // the official 256-px shape: 512-dim w, channel_base 32768, channel_max 512
  config.conv_clamp = 256;
  Generator g(config);
  for (auto& p : g->named_parameters())
    if (p.key().find("bias") != std::string::npos) p.value().normal_(0, 0.5);  // biases away from 0
  const torch::Tensor ws = g->map(torch::randn({1, config.z_dim}), {}, 0.7);
  SynthesisRequest fast, official;
  official.fused_modconv = true;
  const torch::Tensor a = g->synthesize(ws, fast).image, b = g->synthesize(ws, official).image;
  EXPECT_LT((a - b).abs().max().item<float>(), 1e-4f);
  EXPECT_GT(b.abs().max().item<float>(), 0.1f);  // a real image, not a flat one
}

}  // namespace fast_image_path_test
}  // namespace draggan
