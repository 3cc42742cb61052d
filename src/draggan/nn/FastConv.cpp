#include "draggan/nn/FastConv.h"

namespace draggan {

namespace {
constexpr int64_t kNativeKernelMaxValues = 20480;  // LibTorch's threshold in its choice of kernel
}

torch::Tensor conv2d(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::nn::functional::Conv2dFuncOptions& options, bool avoid_slow_kernel) {
  const bool slow_native_case = avoid_slow_kernel && x.device().is_cpu() && x.scalar_type() == torch::kFloat32 && x.size(0) == 1 &&
                                x.numel() <= kNativeKernelMaxValues && weight.size(-1) <= 3 && weight.size(-2) <= 3;
  if (!slow_native_case) return torch::nn::functional::conv2d(x, weight, options);
  return torch::nn::functional::conv2d(x.expand({2, -1, -1, -1}).contiguous(x.suggest_memory_format()), weight, options).narrow(0, 0, 1);
}

}  // namespace draggan
