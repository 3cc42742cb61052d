// Drag parameters: the official radius scaling (Python round, half to even), floors, auto feature block, and
// clear errors for values that make no sense.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "draggan/core/Error.h"
#include "draggan/drag/DragParams.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"

namespace draggan {
namespace drag_params_test {

// A StyleGAN2 of the given resolution with very few channels: the parameters depend on the layout only.
StyleGAN2Model& config_at(int resolution) {
  static std::map<int, std::shared_ptr<StyleGAN2Model>> models;
  auto& m = models[resolution];
  if (!m) {
    GeneratorConfig c;
    c.img_resolution = resolution;
    c.z_dim = c.w_dim = 8;
    c.mapping_layers = 1;
    c.channel_base = 2 * resolution;
    c.channel_max = 2;
    m = std::make_shared<StyleGAN2Model>(Generator(c));
  }
  return *m;
}

TEST(PythonRound, RoundsHalfToEven) {
  EXPECT_EQ(python_round(0.5), 0);
  EXPECT_EQ(python_round(1.5), 2);
  EXPECT_EQ(python_round(2.5), 2);
  EXPECT_EQ(python_round(-0.5), 0);
  EXPECT_EQ(python_round(-1.5), -2);
  EXPECT_EQ(python_round(2.5000001), 3);
  EXPECT_EQ(python_round(0.375), 0);
  EXPECT_THROW(python_round(std::nan("")), InputError);
}

TEST(DragParams, OfficialDefaultsScaleWithTheResolution) {
  DragParams p;
  ResolvedDragParams r = resolve_drag_params(p, config_at(256));
  EXPECT_EQ(r.feature_block, 5);
  EXPECT_EQ(r.feature_layer, "b128");
  EXPECT_EQ(r.r1_pixels, 2);  // round(1.5) = 2
  EXPECT_EQ(r.r2_pixels, 6);
  EXPECT_DOUBLE_EQ(r.stop_distance, 2.0);
  EXPECT_EQ(r.optimized_layers, 6);
  r = resolve_drag_params(p, config_at(512));
  EXPECT_EQ(r.r1_pixels, 3);
  EXPECT_EQ(r.r2_pixels, 12);
  r = resolve_drag_params(p, config_at(1024));
  EXPECT_DOUBLE_EQ(r.stop_distance, 4.0);
  // 128 px: round(0.75) = 1 px, a disc the official linspace grid never leaves empty: kept, as officially.
  r = resolve_drag_params(p, config_at(128));
  EXPECT_EQ(r.r1_pixels, 1);
  EXPECT_EQ(r.r2_pixels, 3);
}

TEST(DragParams, SmallModelsGetFloorsAndAHalfResolutionBlock) {
  ResolvedDragParams r = resolve_drag_params(DragParams{}, config_at(64));
  EXPECT_EQ(r.feature_block, 3);  // b32, resized x2 like b128 on a 256-px model
  EXPECT_EQ(r.r1_pixels, kMinR1Pixels);
  EXPECT_EQ(r.r2_pixels, kMinR2Pixels);
  DragParams fixture;
  fixture.r1 = 16;
  fixture.r2 = 48;
  r = resolve_drag_params(fixture, config_at(64));
  EXPECT_EQ(r.r1_pixels, 2);
  EXPECT_EQ(r.r2_pixels, 6);
}

TEST(DragParams, RejectsNonsense) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto bad = [](auto edit) {
    DragParams p;
    edit(p);
    EXPECT_THROW(p.validate(), InputError);
  };
  bad([&](DragParams& p) { p.lr = nan; });
  bad([](DragParams& p) { p.lr = 0; });
  bad([](DragParams& p) { p.lr = std::numeric_limits<double>::infinity(); });
  bad([](DragParams& p) { p.r1 = -1; });
  bad([&](DragParams& p) { p.r2 = nan; });
  bad([](DragParams& p) { p.lambda_mask = -1; });
  bad([](DragParams& p) { p.feature_block = -2; });
  bad([](DragParams& p) { p.optimized_layers = 0; });
  bad([](DragParams& p) { p.first_optimized_layer = -1; });
  bad([](DragParams& p) { p.reg_l2 = -1; });
  bad([](DragParams& p) { p.first_optimized_layer = p.optimized_layers; });
  DragParams p;
  p.feature_block = 9;
  EXPECT_THROW(resolve_drag_params(p, config_at(256)), InputError);  // 256 px has blocks 0..6
}

TEST(LatentSpace, ParsesNames) {
  EXPECT_EQ(parse_latent_space("w"), LatentSpace::W);
  EXPECT_EQ(parse_latent_space("W+"), LatentSpace::WPlus);
  EXPECT_EQ(parse_latent_space("wplus"), LatentSpace::WPlus);
  EXPECT_THROW(parse_latent_space("z"), InputError);
}

}  // namespace drag_params_test
}  // namespace draggan
