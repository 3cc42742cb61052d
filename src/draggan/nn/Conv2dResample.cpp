#include "draggan/nn/Conv2dResample.h"

#include <algorithm>

#include "draggan/nn/FastConv.h"
#include "draggan/nn/TransposedConv.h"

namespace F = torch::nn::functional;

namespace draggan {

namespace {

torch::Tensor plain_conv(const torch::Tensor& x, torch::Tensor w, int64_t stride, int64_t pad_y, int64_t pad_x,
                         int64_t groups, bool flip_weight, bool official_kernels) {
  if (!flip_weight) w = w.flip({2, 3});
  return draggan::conv2d(x, w, F::Conv2dFuncOptions().stride(stride).padding({pad_y, pad_x}).groups(groups),
                         !official_kernels);
}

torch::Tensor transposed_conv(const torch::Tensor& x, torch::Tensor w, int64_t stride, int64_t pad_y, int64_t pad_x,
                              int64_t groups, bool flip_weight, bool official_kernels) {
  if (!flip_weight) w = w.flip({2, 3});
  return conv_transpose2d_by_phases(x, w, stride, pad_y, pad_x, groups, !official_kernels);
}

}  // namespace

torch::Tensor conv2d_resample(const torch::Tensor& x, const torch::Tensor& w_in, const torch::Tensor& f,
                              const Conv2dResampleOptions& o) {
  TORCH_CHECK(x.dim() == 4 && w_in.dim() == 4, "conv2d_resample expects 4-D input and weight");
  torch::Tensor w = w_in;
  const int64_t out_channels = w.size(0), in_per_group = w.size(1), kh = w.size(2), kw = w.size(3);
  const auto [fw, fh] = filter_size(f);
  const int up = o.up, down = o.down;
  int64_t px0 = o.padding, px1 = o.padding, py0 = o.padding, py1 = o.padding;
  if (up > 1) {
    px0 += (fw + up - 1) / 2;
    px1 += (fw - up) / 2;
    py0 += (fh + up - 1) / 2;
    py1 += (fh - up) / 2;
  }
  if (down > 1) {
    px0 += (fw - down + 1) / 2;
    px1 += (fw - down) / 2;
    py0 += (fh - down + 1) / 2;
    py1 += (fh - down) / 2;
  }
  const double up_gain = static_cast<double>(up * up);

  // 1x1 kernels commute with the resampling, so it runs on whichever side has fewer pixels.
  if (kw == 1 && kh == 1 && down > 1 && up == 1) {
    torch::Tensor y = upfirdn2d(x, f, 1, down, {px0, px1, py0, py1}, o.flip_filter);
    return plain_conv(y, w, 1, 0, 0, o.groups, o.flip_weight, o.official_kernels);
  }
  if (kw == 1 && kh == 1 && up > 1 && down == 1) {
    torch::Tensor y = plain_conv(x, w, 1, 0, 0, o.groups, o.flip_weight, o.official_kernels);
    return upfirdn2d(y, f, up, 1, {px0, px1, py0, py1}, o.flip_filter, up_gain);
  }
  if (down > 1 && up == 1) {
    torch::Tensor y = upfirdn2d(x, f, 1, 1, {px0, px1, py0, py1}, o.flip_filter);
    return plain_conv(y, w, down, 0, 0, o.groups, o.flip_weight, o.official_kernels);
  }
  if (up > 1) {
    // Transposed convolution wants [C_in, C_out/groups, kh, kw] per group.
    if (o.groups == 1) {
      w = w.transpose(0, 1);
    } else {
      w = w.reshape({o.groups, out_channels / o.groups, in_per_group, kh, kw})
              .transpose(1, 2)
              .reshape({o.groups * in_per_group, out_channels / o.groups, kh, kw});
    }
    px0 -= kw - 1;
    px1 -= kw - up;
    py0 -= kh - 1;
    py1 -= kh - up;
    const int64_t pxt = std::max<int64_t>(std::min(-px0, -px1), 0);
    const int64_t pyt = std::max<int64_t>(std::min(-py0, -py1), 0);
    torch::Tensor y = transposed_conv(x, w, up, pyt, pxt, o.groups, !o.flip_weight, o.official_kernels);
    y = upfirdn2d(y, f, 1, 1, {px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt}, o.flip_filter, up_gain);
    if (down > 1) y = upfirdn2d(y, f, 1, down, {0, 0, 0, 0}, o.flip_filter);
    return y;
  }
  if (up == 1 && down == 1 && px0 == px1 && py0 == py1 && px0 >= 0 && py0 >= 0)
    return plain_conv(x, w, 1, py0, px0, o.groups, o.flip_weight, o.official_kernels);

  torch::Tensor y = upfirdn2d(x, up > 1 ? f : torch::Tensor(), up, 1, {px0, px1, py0, py1}, o.flip_filter, up_gain);
  y = plain_conv(y, w, 1, 0, 0, o.groups, o.flip_weight, o.official_kernels);
  if (down > 1) y = upfirdn2d(y, f, 1, down, {0, 0, 0, 0}, o.flip_filter);
  return y;
}

}  // namespace draggan
