// The fast filtered leaky ReLU (phases, strided convolutions) against the reference op sequence, on the layer
// geometries of real StyleGAN3 configs (T and R, up 2 and 4, cropping paddings, ToRGB), forward and backward.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "draggan/nn/stylegan3/FilteredLrelu.h"
#include "draggan/nn/stylegan3/LowpassFilter.h"
#include "draggan/nn/stylegan3/StyleGAN3Config.h"

namespace draggan::stylegan3 {
namespace stylegan3_filtered_lrelu_test {

StyleGAN3Config config(bool radial) {
  StyleGAN3Config c;
  c.z_dim = c.w_dim = 64;
  c.img_resolution = 64;
  c.channel_base = radial ? 65536 : 32768;
  c.channel_max = radial ? 16 : 8;  // narrow, so the test is quick; the geometry does not depend on it
  c.conv_kernel = radial ? 1 : 3;
  c.use_radial_filters = radial;
  return c;
}

TEST(FilteredLrelu, FastEqualsReferenceOnEveryLayerGeometry) {
  torch::manual_seed(3);
  for (bool radial : {false, true}) {
    for (const LayerSpec& l : config(radial).layers()) {
      const torch::Tensor fu = design_lowpass_filter(l.up_taps, l.in_cutoff, l.in_half_width * 2, l.tmp_sampling_rate);
      const torch::Tensor fd = design_lowpass_filter(l.down_taps, l.out_cutoff, l.out_half_width * 2,
                                                     l.tmp_sampling_rate, l.down_radial);
      FilteredLreluOptions o;
      o.up = l.up_factor;
      o.down = l.down_factor;
      o.padding = l.padding;
      o.gain = l.is_torgb ? 1.0 : std::sqrt(2.0);
      o.slope = l.is_torgb ? 1.0 : 0.2;
      o.clamp = 256.0;
      const int64_t size = l.in_size + l.conv_kernel - 1;
      const torch::Tensor x0 = torch::randn({2, l.out_channels, size, size}) * 3;
      const torch::Tensor b = torch::randn({l.out_channels});

      torch::Tensor xr = x0.clone().requires_grad_(true), xf = x0.clone().requires_grad_(true);
      const torch::Tensor ref = filtered_lrelu_reference(xr, fu, fd, b, o);
      const torch::Tensor fast = filtered_lrelu_fast(xf, fu, fd, b, o);
      ASSERT_EQ(fast.sizes(), ref.sizes()) << l.name;
      EXPECT_EQ(ref.size(2), l.out_size) << l.name;
      const double scale = ref.abs().max().item<double>();
      EXPECT_LE((fast - ref).abs().max().item<double>(), 1e-6 * scale) << l.name << (radial ? " R" : " T");

      const torch::Tensor g = torch::randn(ref.sizes());
      (ref * g).sum().backward();
      (fast * g).sum().backward();
      const double gscale = xr.grad().abs().max().item<double>();
      EXPECT_LE((xf.grad() - xr.grad()).abs().max().item<double>(), 1e-5 * gscale) << l.name;
    }
  }
}

TEST(FilteredLrelu, ShapesFollowTheOfficialFormula) {
  EXPECT_EQ(filtered_lrelu_output_size(38, 2, 2, 9, 8, 12, 12), 36);
  EXPECT_EQ(filtered_lrelu_output_size(38, 4, 2, -6, -9, 24, 12), 52);
  EXPECT_EQ(filtered_lrelu_output_size(86, 2, 2, -11, -12, 12, 12), 64);
  EXPECT_EQ(filtered_lrelu_output_size(3, 2, 2, 0, 0, 12, 12), 0);
}

}  // namespace stylegan3_filtered_lrelu_test
}  // namespace draggan::stylegan3
