#include "draggan/nn/ModulatedConv.h"

#include "draggan/nn/Conv2dResample.h"

namespace draggan {

torch::Tensor modulated_conv2d(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& styles,
                               const torch::Tensor& noise, const torch::Tensor& resample_filter,
                               const ModulatedConvOptions& options) {
  const int64_t n = x.size(0);
  const int64_t out_c = weight.size(0), in_c = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  TORCH_CHECK(x.size(1) == in_c, "modulated_conv2d: input has ", x.size(1), " channels, weight expects ", in_c);
  TORCH_CHECK(styles.size(0) == n && styles.size(1) == in_c, "modulated_conv2d: styles shape mismatch");

  Conv2dResampleOptions conv;
  conv.up = options.up;
  conv.padding = options.padding;
  conv.flip_weight = options.flip_weight;
  conv.official_kernels = options.fused;
  if (!options.fused) {
    torch::Tensor y = conv2d_resample(x * styles.reshape({n, in_c, 1, 1}), weight.to(x.dtype()), resample_filter, conv);
    if (options.demodulate) {
      // sum over (i, k) of (weight[o, i, k] * s_i)^2 = sum_i s_i^2 * sum_k weight[o, i, k]^2: no per-sample weight.
      const torch::Tensor norms =
          options.squared_weight_norms.defined() ? options.squared_weight_norms : weight.square().sum({2, 3});
      const torch::Tensor dcoefs = (styles.square().matmul(norms.to(styles.dtype()).t()) + 1e-8).rsqrt();
      y = y * dcoefs.reshape({n, out_c, 1, 1});
    }
    return noise.defined() ? y + noise : y;
  }

  // [N, O, I, k, k]: per-sample weights.
  torch::Tensor w = weight.unsqueeze(0) * styles.reshape({n, 1, in_c, 1, 1});
  if (options.demodulate) {
    torch::Tensor dcoefs = (w.square().sum({2, 3, 4}) + 1e-8).rsqrt();  // [N, O]
    w = w * dcoefs.reshape({n, out_c, 1, 1, 1});
  }

  torch::Tensor y;
  if (n == 1) {
    // The fast path the drag loop lives on: no reshapes of the activations, an ordinary convolution.
    y = conv2d_resample(x, w.reshape({out_c, in_c, kh, kw}), resample_filter, conv);
  } else {
    conv.groups = n;
    y = conv2d_resample(x.reshape({1, n * in_c, x.size(2), x.size(3)}), w.reshape({n * out_c, in_c, kh, kw}),
                        resample_filter, conv);
    y = y.reshape({n, out_c, y.size(2), y.size(3)});
  }
  if (noise.defined()) y = y + noise;
  return y;
}

}  // namespace draggan
