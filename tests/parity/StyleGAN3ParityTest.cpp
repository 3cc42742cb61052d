// StyleGAN3 (T and R) against the official DragGAN code's outputs (tests/data/formats/stylegan3_{t,r}/, see
// tests/data/README.md): the snapshot read by our pickle reader and built by the StyleGAN3 family must
// reproduce the mapping, every layer output, the images and the supervised feature as the renderer resizes it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "FormatFixture.h"
#include "draggan/io/NvidiaPickle.h"
#include "draggan/nn/stylegan3/LowpassFilter.h"
#include "draggan/nn/stylegan3/StyleGAN3Family.h"
#include "draggan/nn/stylegan3/StyleGAN3Model.h"

namespace draggan {
namespace {

using testing::FormatFixture;
using testing::max_abs_diff;

struct Sg3Case {
  std::string fixture;  // tests/data/formats/<fixture>
  std::string family;
};

std::shared_ptr<StyleGAN3Model> load_fixture_model(const FormatFixture& f) {
  static std::map<std::string, std::shared_ptr<StyleGAN3Model>> cache;
  auto& slot = cache[f.dir()];
  if (slot) return slot;
  NvidiaSnapshot snap = read_nvidia_pkl(f.checkpoint());
  const GeneratorFamily family =
      stylegan3_uses_radial_filters(snap.g_init_kwargs, snap.g_ema) ? stylegan3_r_family() : stylegan3_t_family();
  EXPECT_TRUE(family.matches_snapshot(snap.g_init_kwargs, snap.g_ema));
  const nlohmann::json config = family.config_from_snapshot(snap.g_init_kwargs, snap.g_ema);
  slot = std::dynamic_pointer_cast<StyleGAN3Model>(family.build(config, snap.g_ema, f.checkpoint(), torch::kCPU));
  return slot;
}

class StyleGAN3Parity : public ::testing::TestWithParam<Sg3Case> {
 protected:
  StyleGAN3Parity() : fixture_(GetParam().fixture), model_(load_fixture_model(fixture_)) {}
  FormatFixture fixture_;
  std::shared_ptr<StyleGAN3Model> model_;
};

TEST_P(StyleGAN3Parity, IsRecognisedByContentAndBuiltAsTheRendererBuildsIt) {
  ASSERT_TRUE(model_);
  EXPECT_EQ(model_->family(), GetParam().family);
  const nlohmann::json gen = fixture_.manifest().at("generator");
  const LatentLayout layout = model_->latent_layout();
  EXPECT_EQ(layout.num_ws, gen.at("num_ws").get<int>());
  EXPECT_EQ(layout.z_dim, gen.at("z_dim").get<int>());
  EXPECT_EQ(layout.w_dim, gen.at("w_dim").get<int>());
  EXPECT_EQ(model_->image_shape().height, gen.at("img_resolution").get<int>());
  // The manifest lists the official layer names (index, size with margin, channels).
  const std::string note = gen.at("features_note").get<std::string>();
  const std::string names = note.substr(note.find("Layer names: ") + 13);
  std::string ours;
  for (int i = 0; i < model_->num_feature_layers(); ++i) ours += (i ? ", " : "") + model_->feature_layer_name(i);
  EXPECT_EQ(ours, names);
  EXPECT_EQ(model_->num_feature_layers(), 15);
  EXPECT_EQ(model_->default_feature_layer(), 5);
}

TEST_P(StyleGAN3Parity, MappingMatchesOfficialWithAndWithoutTruncation) {
  torch::NoGradGuard no_grad;
  for (int seed = 0; seed < 3; ++seed) {
    const std::string s = "seed" + std::to_string(seed);
    const torch::Tensor z = fixture_.array(s + "_z");
    EXPECT_LE(max_abs_diff(model_->map(z), fixture_.array(s + "_w_psi1")), 1e-6) << s;
    EXPECT_LE(max_abs_diff(model_->map(z, {}, 0.7), fixture_.array(s + "_w_psi07")), 1e-6) << s;
  }
}

TEST_P(StyleGAN3Parity, ImagesMatchOfficialInBothArithmetics) {
  torch::NoGradGuard no_grad;
  for (bool official : {true, false}) {
    double worst = 0;
    for (int seed = 0; seed < 3; ++seed) {
      for (const std::string psi : {"psi1", "psi07"}) {
        const std::string s = "seed" + std::to_string(seed) + "_";
        const torch::Tensor img =
            model_->network()->synthesis->forward(fixture_.array(s + "w_" + psi), -1, false, official).image;
        const double err = max_abs_diff(img, fixture_.array(s + "img_" + psi));
        worst = std::max(worst, err);
        EXPECT_LE(err, 1e-4) << s << psi << (official ? " official" : " fast");
      }
    }
    std::printf("[%s] max |image - official| (%s arithmetic): %.3g\n", GetParam().family.c_str(),
                official ? "official" : "fast", worst);
  }
}

TEST_P(StyleGAN3Parity, DisplayedImagesWithinOneLevelOfTheRenderer) {
  torch::NoGradGuard no_grad;
  for (int seed = 0; seed < 3; ++seed) {
    const std::string s = "seed" + std::to_string(seed) + "_";
    const torch::Tensor img = model_->synthesize(model_->map(fixture_.array(s + "z"), {}, 0.7));
    const torch::Tensor u8 = (img[0] * 127.5 + 128).clamp(0, 255).to(torch::kUInt8).permute({1, 2, 0});
    const torch::Tensor ref = fixture_.array(s + "img_psi07_uint8");
    EXPECT_LE((u8.to(torch::kInt32) - ref.to(torch::kInt32)).abs().max().item<int>(), 1) << s;
  }
}

TEST_P(StyleGAN3Parity, EveryLayerOutputMatchesOfficialReturnFeature) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = fixture_.array("seed0_w_psi07");
  for (bool official : {true, false}) {
    const stylegan3::SynthesisPass pass = model_->network()->synthesis->forward(ws, -1, true, official);
    ASSERT_EQ(pass.features.size(), 15u);
    // The committed fixtures keep the first 8 channels of the wide layers (tests/data/README.md).
    for (int i : {0, 1, 2, 3, 4, 5, 13}) {
      const torch::Tensor ref = fixture_.array("seed0_block" + std::to_string(i) + "_out_ch8");
      const torch::Tensor ours = pass.features[i].narrow(1, 0, ref.size(1));
      const double scale = ref.abs().max().item<double>();
      EXPECT_LE(max_abs_diff(ours, ref), 1e-4 * std::max(1.0, scale)) << "layer " << i << (official ? " official" : " fast");
    }
    EXPECT_LE(max_abs_diff(pass.features[14], fixture_.array("seed0_block14_out")), 1e-4);
  }
}

TEST_P(StyleGAN3Parity, SupervisedFeatureResizedAsTheRendererDoes) {
  torch::NoGradGuard no_grad;
  FeatureRequest request;
  request.layer = 5;
  for (bool official : {true, false}) {
    request.official_arithmetic = official;
    const FeatureResult r = model_->features(fixture_.array("seed0_w_psi07"), request);
    ASSERT_EQ(r.windows.size(), 1u);
    const FeatureWindow& w = r.windows[0];
    EXPECT_TRUE(w.is_whole());
    EXPECT_EQ(w.features.size(2), 64);
    using torch::indexing::Slice;
    const torch::Tensor crop = w.features.index({Slice(), Slice(), Slice(24, 40), Slice(24, 40)});
    EXPECT_LE(max_abs_diff(crop, fixture_.array("seed0_feat5_resized_crop")), 1e-4) << (official ? "official" : "fast");
  }
}

TEST_P(StyleGAN3Parity, StoredFiltersAreTheOnesTheConfigDesigns) {
  for (const auto& layer : model_->network()->synthesis->layers) {
    const stylegan3::LayerSpec& l = layer->spec();
    const torch::Tensor up = stylegan3::design_lowpass_filter(l.up_taps, l.in_cutoff, l.in_half_width * 2,
                                                              l.tmp_sampling_rate);
    const torch::Tensor down = stylegan3::design_lowpass_filter(l.down_taps, l.out_cutoff, l.out_half_width * 2,
                                                                l.tmp_sampling_rate, l.down_radial);
    ASSERT_EQ(up.defined(), layer->up_filter.defined()) << l.name;
    ASSERT_EQ(down.defined(), layer->down_filter.defined()) << l.name;
    if (up.defined()) EXPECT_LE(max_abs_diff(up, layer->up_filter), 1e-7) << l.name;
    if (down.defined()) EXPECT_LE(max_abs_diff(down, layer->down_filter), 1e-7) << l.name;
  }
}

TEST_P(StyleGAN3Parity, FastAndOfficialGradientsAgree) {
  // The drag optimises ws through the supervised layer; both arithmetics must give the same gradient.
  const torch::Tensor ws0 = fixture_.array("seed0_w_psi07");
  torch::Tensor grads[2];
  for (int official = 0; official < 2; ++official) {
    torch::Tensor ws = ws0.clone().requires_grad_(true);
    FeatureRequest request;
    request.layer = 5;
    request.official_arithmetic = official == 1;
    model_->features(ws, request).windows[0].features.square().mean().backward();
    grads[official] = ws.grad();
  }
  const double scale = grads[1].abs().max().item<double>();
  EXPECT_GT(scale, 0);
  EXPECT_LE(max_abs_diff(grads[0], grads[1]), 1e-4 * scale);
  // Rows past the supervised layer (w[7..]: layers 6..14) cannot influence it.
  EXPECT_EQ(grads[0].narrow(1, 7, 9).abs().max().item<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(Formats, StyleGAN3Parity,
                         ::testing::Values(Sg3Case{"stylegan3_t", "stylegan3-t"}, Sg3Case{"stylegan3_r", "stylegan3-r"}),
                         [](const auto& info) { return info.param.fixture; });

}  // namespace
}  // namespace draggan
