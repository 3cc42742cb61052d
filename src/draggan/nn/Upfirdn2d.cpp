#include "draggan/nn/Upfirdn2d.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <ATen/Parallel.h>

#include "draggan/core/Error.h"

namespace F = torch::nn::functional;

namespace draggan {

torch::Tensor setup_filter(const std::vector<float>& taps) {
  if (taps.empty()) throw CheckpointError("resample filter: no taps");
  torch::Tensor f = torch::tensor(taps, torch::kFloat32);
  // The official helper keeps long filters separable; short ones become an explicit 2-D outer product.
  if (taps.size() < 8) f = torch::outer(f, f);
  return f / f.sum();
}

std::array<int64_t, 2> filter_size(const torch::Tensor& f) {
  if (!f.defined()) return {1, 1};
  return {f.size(-1), f.size(0)};
}

torch::Tensor upfirdn2d(const torch::Tensor& input, const torch::Tensor& f, int up, int down, const Padding4& padding,
                        bool flip_filter, double gain) {
  TORCH_CHECK(input.dim() == 4, "upfirdn2d expects NCHW input");
  TORCH_CHECK(up >= 1 && down >= 1, "upfirdn2d: factors must be >= 1");
  const int64_t n = input.size(0), c = input.size(1), h = input.size(2), w = input.size(3);
  torch::Tensor x = input;

  if (up > 1) {
    // Zero insertion: every input pixel is followed by up-1 zeros along each axis.
    x = x.reshape({n, c, h, 1, w, 1});
    x = torch::constant_pad_nd(x, {0, up - 1, 0, 0, 0, up - 1});
    x = x.reshape({n, c, h * up, w * up});
  }

  const auto [px0, px1, py0, py1] = padding;
  if (px0 > 0 || px1 > 0 || py0 > 0 || py1 > 0)
    x = torch::constant_pad_nd(x, {std::max<int64_t>(px0, 0), std::max<int64_t>(px1, 0), std::max<int64_t>(py0, 0),
                                   std::max<int64_t>(py1, 0)});
  if (px0 < 0 || px1 < 0 || py0 < 0 || py1 < 0) {
    const int64_t hh = x.size(2), ww = x.size(3);
    x = x.slice(2, std::max<int64_t>(-py0, 0), hh - std::max<int64_t>(-py1, 0))
            .slice(3, std::max<int64_t>(-px0, 0), ww - std::max<int64_t>(-px1, 0));
  }

  if (f.defined()) {
    torch::Tensor k = f.to(x.dtype());
    if (gain != 1.0) k = k * std::pow(gain, k.dim() / 2.0);
    if (!flip_filter) k = k.flip(k.dim() == 2 ? std::vector<int64_t>{0, 1} : std::vector<int64_t>{0});
    const auto conv = F::Conv2dFuncOptions().groups(c);
    if (k.dim() == 2) {
      x = F::conv2d(x, k.view({1, 1, k.size(0), k.size(1)}).expand({c, 1, k.size(0), k.size(1)}), conv);
    } else {
      const int64_t t = k.size(0);
      x = F::conv2d(x, k.view({1, 1, 1, t}).expand({c, 1, 1, t}), conv);
      x = F::conv2d(x, k.view({1, 1, t, 1}).expand({c, 1, t, 1}), conv);
    }
  } else if (gain != 1.0) {
    x = x * gain;
  }

  if (down > 1) x = x.slice(2, 0, torch::indexing::None, down).slice(3, 0, torch::indexing::None, down);
  return x;
}

torch::Tensor upsample2d(const torch::Tensor& x, const torch::Tensor& f, int up) {
  const auto [fw, fh] = filter_size(f);
  const Padding4 p{(fw + up - 1) / 2, (fw - up) / 2, (fh + up - 1) / 2, (fh - up) / 2};
  return upfirdn2d(x, f, up, 1, p, false, static_cast<double>(up * up));
}

namespace {

// Along one axis of upsample2d: for output index o, the (filter tap, input index) pairs that meet a non-zero
// sample of the zero-inserted, padded input. The correlation reads the flipped filter, so tap a of the
// correlation is filter index size - 1 - a.
std::vector<std::vector<std::pair<int64_t, int64_t>>> axis_taps(int64_t in_size, int64_t out_size, int64_t taps,
                                                                int64_t up, int64_t pad_before) {
  std::vector<std::vector<std::pair<int64_t, int64_t>>> table(out_size);
  for (int64_t o = 0; o < out_size; ++o)
    for (int64_t a = 0; a < taps; ++a) {
      const int64_t z = o + a - pad_before;  // index into the zero-inserted input
      if (z < 0 || z % up != 0 || z / up >= in_size) continue;
      table[o].push_back({taps - 1 - a, z / up});
    }
  return table;
}

}  // namespace

torch::Tensor upsample2d_direct(const torch::Tensor& x, const torch::Tensor& f, int up) {
  const bool direct = !(torch::GradMode::is_enabled() && x.requires_grad()) && x.dim() == 4 && x.device().is_cpu() &&
                      x.scalar_type() == torch::kFloat32 && f.defined() && f.dim() == 2 && up >= 1;
  if (!direct) return upsample2d(x, f, up);
  const auto [fw, fh] = filter_size(f);
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const int64_t px0 = (fw + up - 1) / 2, px1 = (fw - up) / 2, py0 = (fh + up - 1) / 2, py1 = (fh - up) / 2;
  const int64_t out_h = h * up + py0 + py1 - fh + 1, out_w = w * up + px0 + px1 - fw + 1;
  TORCH_CHECK(out_h > 0 && out_w > 0, "upsample2d_direct: empty output");
  const auto rows = axis_taps(h, out_h, fh, up, py0), cols = axis_taps(w, out_w, fw, up, px0);
  // The filter times the gain up^2, in float as upfirdn2d scales it.
  const torch::Tensor k = (f.to(torch::kFloat32) * static_cast<double>(up * up)).contiguous();
  const torch::Tensor input = x.contiguous();
  torch::Tensor out = torch::empty({n, c, out_h, out_w}, x.options().memory_format(at::MemoryFormat::Contiguous));
  const float* kp = k.data_ptr<float>();
  const float* in = input.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, n * c * out_h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t plane = i / out_h, oy = i % out_h;
      const float* src = in + plane * h * w;
      float* dst = op + i * out_w;
      for (int64_t ox = 0; ox < out_w; ++ox) {
        float sum = 0.0f;
        for (const auto& [fy, iy] : rows[oy])
          for (const auto& [fx, ix] : cols[ox]) sum += kp[fy * fw + fx] * src[iy * w + ix];
        dst[ox] = sum;
      }
    }
  });
  return out;
}

torch::Tensor downsample2d(const torch::Tensor& x, const torch::Tensor& f, int down) {
  const auto [fw, fh] = filter_size(f);
  const Padding4 p{(fw - down + 1) / 2, (fw - down) / 2, (fh - down + 1) / 2, (fh - down) / 2};
  return upfirdn2d(x, f, 1, down, p, false, 1.0);
}

}  // namespace draggan
