#include "draggan/nn/Upfirdn2d.h"

#include <algorithm>
#include <cmath>

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

torch::Tensor downsample2d(const torch::Tensor& x, const torch::Tensor& f, int down) {
  const auto [fw, fh] = filter_size(f);
  const Padding4 p{(fw - down + 1) / 2, (fw - down) / 2, (fh - down + 1) / 2, (fh - down) / 2};
  return upfirdn2d(x, f, 1, down, p, false, 1.0);
}

}  // namespace draggan
