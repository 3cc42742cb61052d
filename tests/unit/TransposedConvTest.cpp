// The phase decomposition must equal LibTorch's own transposed convolution, values and gradients.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "draggan/nn/TransposedConv.h"

namespace draggan {
namespace transposed_conv_test {

namespace F = torch::nn::functional;

torch::Tensor reference(const torch::Tensor& x, const torch::Tensor& w, int64_t stride, int64_t pad, int64_t groups) {
  return F::conv_transpose2d(x, w, F::ConvTranspose2dFuncOptions().stride(stride).padding({pad, pad}).groups(groups));
}

TEST(TransposedConv, EqualsLibTorchForStridesKernelsPaddingsAndGroups) {
  torch::manual_seed(3);
  for (int64_t stride : {1, 2, 3}) {
    for (int64_t k : {1, 2, 3, 4}) {
      for (int64_t pad = 0; pad < k; ++pad) {
        for (int64_t groups : {1, 2}) {
          const torch::Tensor x = torch::randn({2, 4, 5, 6});
          const torch::Tensor w = torch::randn({4, 3, k, k});
          const torch::Tensor expected = reference(x, w, stride, pad, groups);
          const torch::Tensor got = conv_transpose2d_by_phases(x, w, stride, pad, pad, groups);
          ASSERT_EQ(got.sizes(), expected.sizes()) << "stride " << stride << " k " << k << " pad " << pad;
          EXPECT_LE((got - expected).abs().max().item<float>(), 1e-4f)
              << "stride " << stride << " k " << k << " pad " << pad << " groups " << groups;
        }
      }
    }
  }
}

TEST(TransposedConv, GradientsMatchLibTorch) {
  torch::manual_seed(4);
  const torch::Tensor x0 = torch::randn({1, 6, 7, 7}), w0 = torch::randn({6, 5, 3, 3});
  const torch::Tensor upstream = torch::randn({1, 5, 15, 15});
  torch::Tensor x1 = x0.clone().requires_grad_(true), w1 = w0.clone().requires_grad_(true);
  (reference(x1, w1, 2, 0, 1) * upstream).sum().backward();
  torch::Tensor x2 = x0.clone().requires_grad_(true), w2 = w0.clone().requires_grad_(true);
  (conv_transpose2d_by_phases(x2, w2, 2, 0, 0, 1) * upstream).sum().backward();
  EXPECT_LE((x1.grad() - x2.grad()).abs().max().item<float>(), 1e-4f);
  EXPECT_LE((w1.grad() - w2.grad()).abs().max().item<float>(), 1e-4f);
}

TEST(TransposedConv, RectangularKernelsAndUnevenPadding) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({1, 3, 4, 9}), w = torch::randn({3, 2, 3, 2});
  const torch::Tensor expected =
      F::conv_transpose2d(x, w, F::ConvTranspose2dFuncOptions().stride(2).padding({2, 1}));
  const torch::Tensor got = conv_transpose2d_by_phases(x, w, 2, 2, 1, 1);
  ASSERT_EQ(got.sizes(), expected.sizes());
  EXPECT_LE((got - expected).abs().max().item<float>(), 1e-4f);
}

TEST(TransposedConv, SplitPhasesEqualLibTorchForStridesKernelsAndPaddings) {
  torch::manual_seed(6);
  for (int64_t stride : {1, 2, 3}) {
    for (int64_t k : {1, 2, 3, 4}) {
      for (int64_t pad = 0; pad < k; ++pad) {
        const torch::Tensor x = torch::randn({1, 4, 5, 6}).contiguous(at::MemoryFormat::ChannelsLast);
        const torch::Tensor w = torch::randn({4, 3, k, k});
        const torch::Tensor expected = reference(x, w, stride, pad, 1);
        const torch::Tensor got =
            conv_transpose2d_split(x, split_phase_kernels(w, stride), k, k, stride, pad, pad);
        ASSERT_EQ(got.sizes(), expected.sizes()) << "stride " << stride << " k " << k << " pad " << pad;
        EXPECT_LE((got - expected).abs().max().item<float>(), 1e-4f)
            << "stride " << stride << " k " << k << " pad " << pad;
      }
    }
  }
  // The synthesis network's up-sampling layer: 3x3 at stride 2, no padding, channels-last in and out.
  const torch::Tensor x = torch::randn({1, 16, 9, 7}).contiguous(at::MemoryFormat::ChannelsLast);
  const torch::Tensor w = torch::randn({16, 8, 3, 3});
  const torch::Tensor got = conv_transpose2d_split(x, split_phase_kernels(w, 2), 3, 3, 2, 0, 0);
  EXPECT_TRUE(got.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_LE((got - reference(x, w, 2, 0, 1)).abs().max().item<float>(), 1e-4f);
}

}  // namespace transposed_conv_test
}  // namespace draggan
