// FIR resampling primitives against properties that pin down the official upfirdn2d semantics.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "draggan/nn/Conv2dResample.h"
#include "draggan/nn/Upfirdn2d.h"

namespace draggan {
namespace generator_resample_test {

TEST(GeneratorResample, SetupFilterIsNormalisedOuterProductForShortFilters) {
  torch::Tensor f = setup_filter({1, 3, 3, 1});
  ASSERT_EQ(f.sizes(), (std::vector<int64_t>{4, 4}));
  EXPECT_FLOAT_EQ(f.sum().item<float>(), 1.f);
  EXPECT_FLOAT_EQ(f.index({1, 2}).item<float>(), 9.f / 64.f);
  torch::Tensor long_f = setup_filter({1, 2, 3, 4, 4, 3, 2, 1});
  ASSERT_EQ(long_f.dim(), 1);  // 8+ taps stay separable, as in the official setup_filter
  EXPECT_FLOAT_EQ(long_f.sum().item<float>(), 1.f);
}

TEST(GeneratorResample, UpsamplingKeepsAConstantImageConstantInside) {
  torch::Tensor f = setup_filter({1, 3, 3, 1});
  torch::Tensor y = upsample2d(torch::ones({1, 2, 6, 6}), f);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 2, 12, 12}));
  EXPECT_TRUE(torch::allclose(y.slice(2, 2, 10).slice(3, 2, 10), torch::ones({1, 2, 8, 8})));
  torch::Tensor d = downsample2d(torch::ones({1, 2, 8, 8}), f);
  ASSERT_EQ(d.sizes(), (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_TRUE(torch::allclose(d.slice(2, 1, 3).slice(3, 1, 3), torch::ones({1, 2, 2, 2})));
}

TEST(GeneratorResample, ImpulseResponseIsTheFlippedFilterTimesGain) {
  // An impulse through upfirdn2d (no resampling, full padding) reproduces the convolution kernel itself.
  torch::Tensor f = torch::arange(1, 7, torch::kFloat32).reshape({2, 3});
  torch::Tensor x = torch::zeros({1, 1, 1, 1});
  x.fill_(1.0);
  torch::Tensor y = upfirdn2d(x, f, 1, 1, {2, 2, 1, 1}, /*flip_filter=*/false, /*gain=*/4.0);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 2, 3}));
  // A 2-D filter is scaled by gain^(2/2); correlating the impulse with the flipped filter gives the filter back.
  EXPECT_TRUE(torch::allclose(y[0][0], f * 4.0));
}

TEST(GeneratorResample, UpsamplingConvolutionEqualsTransposedConvolutionThenFilter) {
  // The official up-sampling layer (up=2, 3x3, padding 1, flip_weight=False) is a stride-2 transposed
  // convolution with the transposed weight, then the FIR filter with gain 4 and padding 1 on every side
  // (checked against the official conv2d_resample on the same inputs).
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({1, 4, 5, 5});
  torch::Tensor w = torch::randn({6, 4, 3, 3});
  torch::Tensor f = setup_filter({1, 3, 3, 1});
  Conv2dResampleOptions o;
  o.up = 2;
  o.padding = 1;
  o.flip_weight = false;
  torch::Tensor got = conv2d_resample(x, w, f, o);
  namespace F = torch::nn::functional;
  torch::Tensor y = F::conv_transpose2d(x, w.transpose(0, 1), F::ConvTranspose2dFuncOptions().stride(2));
  torch::Tensor expected = upfirdn2d(y, f, 1, 1, {1, 1, 1, 1}, false, 4.0);
  ASSERT_EQ(got.sizes(), (std::vector<int64_t>{1, 6, 10, 10}));
  EXPECT_LE((got - expected).abs().max().item<float>(), 1e-4);
}

}  // namespace generator_resample_test
}  // namespace draggan
