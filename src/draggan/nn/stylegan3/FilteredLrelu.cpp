#include "draggan/nn/stylegan3/FilteredLrelu.h"

#include <algorithm>
#include <vector>

#include "draggan/core/Error.h"
#include "draggan/nn/BiasAct.h"
#include "draggan/nn/Upfirdn2d.h"
#include "draggan/nn/stylegan3/PythonIntegerDivision.h"

namespace F = torch::nn::functional;

namespace draggan::stylegan3 {
namespace {

int64_t taps_of(const torch::Tensor& f) { return f.defined() ? f.size(-1) : 1; }

void check_arguments(const torch::Tensor& x, const torch::Tensor& fu, const torch::Tensor& fd,
                     const torch::Tensor& bias, const FilteredLreluOptions& o) {
  TORCH_CHECK(x.dim() == 4, "filtered_lrelu expects NCHW input");
  TORCH_CHECK(o.up >= 1 && o.down >= 1, "filtered_lrelu: factors must be >= 1");
  TORCH_CHECK(!fu.defined() || fu.dim() == 1 || fu.dim() == 2, "filtered_lrelu: fu must be 1-D or 2-D");
  TORCH_CHECK(!fd.defined() || fd.dim() == 1 || fd.dim() == 2, "filtered_lrelu: fd must be 1-D or 2-D");
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == x.size(1)), "filtered_lrelu: bias shape");
  const auto [px0, px1, py0, py1] = o.padding;
  TORCH_CHECK(filtered_lrelu_output_size(x.size(3), o.up, o.down, px0, px1, taps_of(fu), taps_of(fd)) > 0 &&
                  filtered_lrelu_output_size(x.size(2), o.up, o.down, py0, py1, taps_of(fu), taps_of(fd)) > 0,
              "filtered_lrelu: the filters are longer than the signal");
}

torch::Tensor activation(const torch::Tensor& x, const FilteredLreluOptions& o) {
  // Slope 1 (ToRGB) is the identity; the official leaky_relu(x, 1) returns x unchanged, as linear does.
  if (o.slope != 1.0 && o.slope != 0.2) throw Error("filtered_lrelu: only slopes 0.2 and 1 are implemented");
  return bias_act(x, {}, o.slope == 1.0 ? Activation::Linear : Activation::LeakyReLU, o.gain, o.clamp);
}

// A depthwise 1-D correlation along `dim` (2 = rows, 3 = columns) with the same taps for every channel.
torch::Tensor depthwise_axis_conv(const torch::Tensor& x, const torch::Tensor& taps, int64_t dim, int64_t stride) {
  const int64_t c = x.size(1), n = taps.size(0);
  const std::vector<int64_t> shape = dim == 3 ? std::vector<int64_t>{1, 1, 1, n} : std::vector<int64_t>{1, 1, n, 1};
  const torch::Tensor weight = taps.to(x.dtype()).reshape(shape).expand({c, 1, shape[2], shape[3]}).contiguous();
  auto options = F::Conv2dFuncOptions().groups(c);
  options.stride(dim == 3 ? std::vector<int64_t>{1, stride} : std::vector<int64_t>{stride, 1});
  return F::conv2d(x, weight, options);
}

// Pads (or crops, when negative) `dim` by lo / hi.
torch::Tensor pad_axis(const torch::Tensor& x, int64_t dim, int64_t lo, int64_t hi) {
  torch::Tensor y = x;
  if (lo < 0) y = y.narrow(dim, -lo, y.size(dim) + lo);
  if (hi < 0) y = y.narrow(dim, 0, y.size(dim) + hi);
  const int64_t l = std::max<int64_t>(lo, 0), h = std::max<int64_t>(hi, 0);
  if (l == 0 && h == 0) return y;
  return dim == 3 ? torch::constant_pad_nd(y, {l, h}) : torch::constant_pad_nd(y, {0, 0, l, h});
}

// Zero insertion by `up`, padding pad0 / pad1 and true convolution with `taps` (times `gain`) along one axis,
// computed by phases: output o = r + up * m only meets the taps of one residue class, so each phase is a
// correlation of the original samples with every up-th tap.
// The non-zero products are the reference's, accumulated in the same order.
torch::Tensor upsample_axis(const torch::Tensor& x, const torch::Tensor& taps, int up, int64_t pad0, int64_t pad1,
                            double gain, int64_t dim) {
  const int64_t n_in = x.size(dim), t = taps.size(0);
  const int64_t n_out = n_in * up + pad0 + pad1 - t + 1;
  const torch::Tensor flipped = (taps.to(torch::kFloat32) * gain).flip({0}).cpu();
  const float* g = flipped.data_ptr<float>();
  // Phase r uses flipped taps d_r, d_r + up, ... on samples m + c_r, m + c_r + 1, ...
  std::vector<int64_t> first_tap(up), offset(up), count(up);
  for (int r = 0; r < up; ++r) {
    first_tap[r] = floor_mod(pad0 - r, up);
    offset[r] = (first_tap[r] - pad0 + r) / up;
    count[r] = first_tap[r] < t ? (t - first_tap[r] + up - 1) / up : 0;
  }
  const int64_t base = *std::min_element(offset.begin(), offset.end());
  int64_t reach = 0;  // samples past `base` that the last output of any phase reads
  const int64_t per_phase = (n_out + up - 1) / up;
  for (int r = 0; r < up; ++r) reach = std::max(reach, offset[r] - base + per_phase + count[r] - 1);
  const torch::Tensor padded = pad_axis(x, dim, -base, base + reach - n_in);  // zeros outside the signal
  std::vector<torch::Tensor> phases;
  for (int r = 0; r < up; ++r) {
    // One depthwise convolution per phase (oneDNN runs these far faster than one with several outputs per group).
    if (count[r] == 0) {
      std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
      shape[dim] = per_phase;
      phases.push_back(torch::zeros(shape, x.options()));
      continue;
    }
    std::vector<float> kernel(count[r]);
    for (int64_t k = 0; k < count[r]; ++k) kernel[k] = g[first_tap[r] + up * k];
    const torch::Tensor taps_r = torch::tensor(kernel, torch::kFloat32).to(x.device());
    const torch::Tensor samples = padded.narrow(dim, offset[r] - base, per_phase + count[r] - 1);
    phases.push_back(depthwise_axis_conv(samples, taps_r, dim, 1));
  }
  // Interleave: output r + up * m is phase r's sample m.
  torch::Tensor y = torch::stack(phases, dim + 1);
  std::vector<int64_t> shape(y.sizes().begin(), y.sizes().end());
  shape[dim] *= up;
  shape.erase(shape.begin() + dim + 1);
  return y.reshape(shape).narrow(dim, 0, n_out);
}

// True convolution with `taps` along one axis, keeping every `down`-th output: a strided correlation with the
// flipped taps computes only the kept samples, with the reference's products and order.
torch::Tensor downsample_axis(const torch::Tensor& x, const torch::Tensor& taps, int down, int64_t dim) {
  return depthwise_axis_conv(x, taps.to(torch::kFloat32).flip({0}), dim, down);
}

}  // namespace

int64_t filtered_lrelu_output_size(int64_t in, int up, int down, int64_t pad0, int64_t pad1, int64_t fu_taps,
                                   int64_t fd_taps) {
  const int64_t n = in * up + pad0 + pad1 - (fu_taps - 1) - (fd_taps - 1);
  return n <= 0 ? 0 : (n + down - 1) / down;
}

torch::Tensor filtered_lrelu_reference(const torch::Tensor& x, const torch::Tensor& fu, const torch::Tensor& fd,
                                       const torch::Tensor& bias, const FilteredLreluOptions& o) {
  check_arguments(x, fu, fd, bias, o);
  torch::Tensor y = bias_act(x, bias, Activation::Linear);
  y = upfirdn2d(y, fu, o.up, 1, o.padding, false, static_cast<double>(o.up * o.up));
  y = activation(y, o);
  return upfirdn2d(y, fd, 1, o.down);
}

torch::Tensor filtered_lrelu_fast(const torch::Tensor& x, const torch::Tensor& fu, const torch::Tensor& fd,
                                  const torch::Tensor& bias, const FilteredLreluOptions& o) {
  check_arguments(x, fu, fd, bias, o);
  // StyleGAN3's up filters are separable; anything else takes the reference path.
  if (!fu.defined() || fu.dim() != 1) return filtered_lrelu_reference(x, fu, fd, bias, o);
  const auto [px0, px1, py0, py1] = o.padding;
  torch::Tensor y = bias_act(x, bias, Activation::Linear);
  // A separable filter's gain up^2 is up per axis, as the reference scales a 1-D filter by sqrt(gain).
  y = upsample_axis(y, fu, o.up, px0, px1, o.up, 3);
  y = upsample_axis(y, fu, o.up, py0, py1, o.up, 2);
  y = activation(y, o);

  if (!fd.defined()) {
    if (o.down == 1) return y;
    return y.slice(2, 0, torch::indexing::None, o.down).slice(3, 0, torch::indexing::None, o.down);
  }
  if (fd.dim() == 2) {
    // The radial filter is not separable: a depthwise convolution that computes only the kept pixels.
    const int64_t c = y.size(1);
    torch::Tensor k = fd.to(y.dtype()).flip({0, 1});
    torch::Tensor weight = k.view({1, 1, k.size(0), k.size(1)}).expand({c, 1, k.size(0), k.size(1)});
    return F::conv2d(y, weight, F::Conv2dFuncOptions().stride(o.down).groups(c));
  }
  return downsample_axis(downsample_axis(y, fd, o.down, 3), fd, o.down, 2);
}

}  // namespace draggan::stylegan3
