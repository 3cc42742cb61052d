#include "draggan/nn/TransposedConv.h"

#include <algorithm>
#include <vector>

#include "draggan/core/Error.h"
#include "draggan/nn/FastConv.h"

namespace F = torch::nn::functional;

namespace draggan {
namespace {

// Along one axis, the outputs of one phase r: o = first + stride * t for t < count; they read the input as a
// correlation with `taps` sub-kernel taps starting at input index q = first_q + t - (taps - 1).
struct AxisPhase {
  int64_t taps = 0;     // kernel taps k = r, r + stride, ... below the kernel size
  int64_t first = 0;    // first output index of the phase
  int64_t count = 0;    // outputs in the phase
  int64_t first_q = 0;  // (first + pad - r) / stride
  int64_t pad_right = 0;
};

int64_t phase_taps(int64_t r, int64_t kernel, int64_t stride) {
  return r < kernel ? (kernel - r + stride - 1) / stride : 0;
}

AxisPhase axis_phase(int64_t r, int64_t in_size, int64_t kernel, int64_t stride, int64_t pad, int64_t out_size) {
  AxisPhase a;
  a.taps = phase_taps(r, kernel, stride);
  a.first = (((r - pad) % stride) + stride) % stride;
  a.count = a.first < out_size ? (out_size - a.first + stride - 1) / stride : 0;
  a.first_q = (a.first + pad - r) / stride;
  a.pad_right = std::max<int64_t>(0, a.first_q + a.count - in_size);
  return a;
}

}  // namespace

torch::Tensor stack_phase_kernels(const torch::Tensor& weight, int64_t stride, int64_t groups) {
  TORCH_CHECK(weight.dim() == 4 && stride >= 1 && groups >= 1, "stack_phase_kernels: bad arguments");
  const int64_t in_c = weight.size(0), out_per_group = weight.size(1), kh = weight.size(2), kw = weight.size(3);
  TORCH_CHECK(in_c % groups == 0, "stack_phase_kernels: channel mismatch");
  // Ordinary-convolution layout [C_out, C_in / groups, kh, kw], flipped: a transposed convolution scatters
  // with the kernel where a convolution gathers with it.
  const torch::Tensor gathered = weight.reshape({groups, in_c / groups, out_per_group, kh, kw})
                                     .transpose(1, 2)
                                     .reshape({groups * out_per_group, in_c / groups, kh, kw});
  // Every phase's sub-kernel, front-padded with zero taps to the longest one, stacked along the output
  // channels: one convolution computes every phase (a single large product runs far faster than several).
  const int64_t taps_y = (kh + stride - 1) / stride, taps_x = (kw + stride - 1) / stride;
  torch::Tensor stacked = torch::zeros({groups, stride * stride, out_per_group, in_c / groups, taps_y, taps_x},
                                       weight.options());
  for (int64_t ry = 0; ry < stride; ++ry) {
    for (int64_t rx = 0; rx < stride; ++rx) {
      const int64_t ty = phase_taps(ry, kh, stride), tx = phase_taps(rx, kw, stride);
      if (ty == 0 || tx == 0) continue;
      // Taps r, r + stride, ... reversed, so that the correlation reads x[q - m] with w[r + stride * m].
      const torch::Tensor sub = gathered.slice(2, ry, torch::indexing::None, stride)
                                    .slice(3, rx, torch::indexing::None, stride)
                                    .flip({2, 3})
                                    .reshape({groups, out_per_group, in_c / groups, ty, tx});
      stacked.select(1, ry * stride + rx).slice(3, taps_y - ty).slice(4, taps_x - tx).copy_(sub);
    }
  }
  return stacked.reshape({-1, in_c / groups, taps_y, taps_x});
}

torch::Tensor conv_transpose2d_stacked(const torch::Tensor& x, const torch::Tensor& stacked, int64_t kh, int64_t kw,
                                       int64_t stride, int64_t pad_y, int64_t pad_x, int64_t groups,
                                       bool avoid_slow_kernel) {
  TORCH_CHECK(x.dim() == 4 && stacked.dim() == 4, "conv_transpose2d_stacked expects 4-D input and kernels");
  TORCH_CHECK(stride >= 1 && pad_y >= 0 && pad_x >= 0 && groups >= 1, "conv_transpose2d_stacked: bad arguments");
  const int64_t in_c = x.size(1);
  TORCH_CHECK(in_c % groups == 0 && stacked.size(1) == in_c / groups && stacked.size(0) % (groups * stride * stride) == 0,
              "conv_transpose2d_stacked: channel mismatch");
  const int64_t out_per_group = stacked.size(0) / (groups * stride * stride);
  const int64_t taps_y = stacked.size(2), taps_x = stacked.size(3);
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t out_h = (h - 1) * stride + kh - 2 * pad_y, out_w = (w - 1) * stride + kw - 2 * pad_x;
  TORCH_CHECK(out_h > 0 && out_w > 0, "conv_transpose2d_stacked: empty output");
  const int64_t out_per_phase = groups * out_per_group;

  std::vector<AxisPhase> phases_y, phases_x;
  int64_t pad_bottom = 0, pad_right = 0;
  for (int64_t r = 0; r < stride; ++r) {
    phases_y.push_back(axis_phase(r, h, kh, stride, pad_y, out_h));
    phases_x.push_back(axis_phase(r, w, kw, stride, pad_x, out_w));
    pad_bottom = std::max(pad_bottom, phases_y.back().pad_right);
    pad_right = std::max(pad_right, phases_x.back().pad_right);
  }
  const torch::Tensor padded = torch::constant_pad_nd(x, {taps_x - 1, pad_right, taps_y - 1, pad_bottom});
  const torch::Tensor z = draggan::conv2d(padded, stacked, F::Conv2dFuncOptions().groups(groups), avoid_slow_kernel);
  const torch::Tensor by_phase = z.reshape({x.size(0), groups, stride * stride, out_per_group, z.size(2), z.size(3)});

  // Every output pixel belongs to one phase; only a kernel smaller than the stride leaves pixels no phase writes.
  const auto options = x.options().memory_format(x.suggest_memory_format());
  torch::Tensor y = kh >= stride && kw >= stride ? torch::empty({x.size(0), out_per_phase, out_h, out_w}, options)
                                                 : torch::zeros({x.size(0), out_per_phase, out_h, out_w}, options);
  for (int64_t ry = 0; ry < stride; ++ry) {
    for (int64_t rx = 0; rx < stride; ++rx) {
      const AxisPhase& py = phases_y[ry];
      const AxisPhase& px = phases_x[rx];
      if (py.taps == 0 || px.taps == 0 || py.count == 0 || px.count == 0) continue;
      const torch::Tensor phase = by_phase.select(2, ry * stride + rx)
                                      .reshape({x.size(0), out_per_phase, z.size(2), z.size(3)})
                                      .slice(2, py.first_q, py.first_q + py.count)
                                      .slice(3, px.first_q, px.first_q + px.count);
      y.slice(2, py.first, torch::indexing::None, stride).slice(3, px.first, torch::indexing::None, stride).copy_(phase);
    }
  }
  return y;
}

std::vector<torch::Tensor> split_phase_kernels(const torch::Tensor& weight, int64_t stride) {
  TORCH_CHECK(weight.dim() == 4 && stride >= 1, "split_phase_kernels: bad arguments");
  const int64_t kh = weight.size(2), kw = weight.size(3);
  const int64_t taps_y = (kh + stride - 1) / stride, taps_x = (kw + stride - 1) / stride;
  // The stacked kernels hold each phase's taps at the end of its taps_y x taps_x box.
  const torch::Tensor stacked =
      stack_phase_kernels(weight, stride, 1)
          .reshape({stride * stride, weight.size(1), weight.size(0), taps_y, taps_x});
  std::vector<torch::Tensor> kernels;
  for (int64_t ry = 0; ry < stride; ++ry) {
    for (int64_t rx = 0; rx < stride; ++rx) {
      const int64_t ty = phase_taps(ry, kh, stride), tx = phase_taps(rx, kw, stride);
      kernels.push_back(ty == 0 || tx == 0 ? torch::Tensor()
                                           : stacked[ry * stride + rx]
                                                 .slice(2, taps_y - ty)
                                                 .slice(3, taps_x - tx)
                                                 .contiguous(at::MemoryFormat::ChannelsLast));
    }
  }
  return kernels;
}

torch::Tensor conv_transpose2d_split(const torch::Tensor& x, const std::vector<torch::Tensor>& kernels,
                                     int64_t kh, int64_t kw, int64_t stride, int64_t pad_y, int64_t pad_x) {
  TORCH_CHECK(x.dim() == 4 && stride >= 1 && pad_y >= 0 && pad_x >= 0 &&
                  static_cast<int64_t>(kernels.size()) == stride * stride,
              "conv_transpose2d_split: bad arguments");
  const int64_t h = x.size(2), w = x.size(3);
  const int64_t out_h = (h - 1) * stride + kh - 2 * pad_y, out_w = (w - 1) * stride + kw - 2 * pad_x;
  TORCH_CHECK(out_h > 0 && out_w > 0, "conv_transpose2d_split: empty output");
  int64_t out_c = 0;
  for (const auto& k : kernels)
    if (k.defined()) out_c = k.size(0);
  const auto options = x.options().memory_format(x.suggest_memory_format());
  torch::Tensor y = kh >= stride && kw >= stride ? torch::empty({x.size(0), out_c, out_h, out_w}, options)
                                                 : torch::zeros({x.size(0), out_c, out_h, out_w}, options);
  for (int64_t ry = 0; ry < stride; ++ry) {
    for (int64_t rx = 0; rx < stride; ++rx) {
      const torch::Tensor& kernel = kernels[ry * stride + rx];
      const AxisPhase py = axis_phase(ry, h, kh, stride, pad_y, out_h);
      const AxisPhase px = axis_phase(rx, w, kw, stride, pad_x, out_w);
      if (!kernel.defined() || py.count == 0 || px.count == 0) continue;
      TORCH_CHECK(kernel.size(2) == py.taps && kernel.size(3) == px.taps,
                  "conv_transpose2d_split: kernel mismatch");
      // Output q of the phase reads x[q - (taps - 1) + m], m < taps: a convolution padded by taps - 1 on each
      // side, plus zeros at the far end where the phase reaches beyond it.
      const int64_t more_y = std::max<int64_t>(0, py.first_q + py.count - (h + py.taps - 1));
      const int64_t more_x = std::max<int64_t>(0, px.first_q + px.count - (w + px.taps - 1));
      const torch::Tensor input = more_y || more_x ? torch::constant_pad_nd(x, {0, more_x, 0, more_y}) : x;
      const torch::Tensor z =
          draggan::conv2d(input, kernel, F::Conv2dFuncOptions().padding({py.taps - 1, px.taps - 1}));
      y.slice(2, py.first, torch::indexing::None, stride)
          .slice(3, px.first, torch::indexing::None, stride)
          .copy_(z.slice(2, py.first_q, py.first_q + py.count).slice(3, px.first_q, px.first_q + px.count));
    }
  }
  return y;
}

torch::Tensor conv_transpose2d_by_phases(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                                         int64_t pad_y, int64_t pad_x, int64_t groups, bool avoid_slow_kernel) {
  TORCH_CHECK(x.dim() == 4 && weight.dim() == 4, "conv_transpose2d_by_phases expects 4-D input and weight");
  TORCH_CHECK(x.size(1) == weight.size(0), "conv_transpose2d_by_phases: channel mismatch");
  return conv_transpose2d_stacked(x, stack_phase_kernels(weight, stride, groups), weight.size(2), weight.size(3),
                                  stride, pad_y, pad_x, groups, avoid_slow_kernel);
}

}  // namespace draggan
