// StyleGAN3 (T and R) against the official DragGAN code's outputs (tests/data/formats/stylegan3_{t,r}/, see
// tests/data/README.md): the snapshot read by our pickle reader and built by the StyleGAN3 family must
// reproduce the mapping, every layer output, the images and the supervised feature as the renderer resizes it.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "FormatFixture.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/ModelFile.h"
#include "draggan/nn/stylegan3/LowpassFilter.h"
#include "draggan/nn/stylegan3/StyleGAN3Model.h"

namespace draggan {
namespace stylegan3_parity_test {

using testing::FormatFixture;
using testing::max_abs_diff;

struct Sg3Case {
  std::string fixture;  // tests/data/formats/<fixture>
  std::string family;
};

// Loaded as every command loads a checkpoint (the family chosen by content), once per fixture.
std::shared_ptr<StyleGAN3Model> load_fixture_model(const FormatFixture& f) {
  static std::map<std::string, std::shared_ptr<StyleGAN3Model>> cache;
  auto& slot = cache[f.dir()];
  if (!slot) slot = std::dynamic_pointer_cast<StyleGAN3Model>(load_model(f.checkpoint()).generator);
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

// How a pass is computed: as `generate` does (no autograd), op for op as the official code, or as a drag step
// does (autograd on: the modulation scales the activations instead of the weights).
enum class Arithmetic { Product, Official, Drag };
const char* name_of(Arithmetic a) { return a == Arithmetic::Product ? "product" : a == Arithmetic::Official ? "official" : "drag"; }

stylegan3::SynthesisPass run(StyleGAN3Model& model, const torch::Tensor& ws, Arithmetic a, bool keep_features) {
  if (a != Arithmetic::Drag) {
    torch::NoGradGuard no_grad;
    return model.network()->synthesis->forward(ws, -1, keep_features, a == Arithmetic::Official);
  }
  stylegan3::SynthesisPass pass = model.network()->synthesis->forward(ws.clone().requires_grad_(true), -1, keep_features);
  if (pass.image.defined()) pass.image = pass.image.detach();
  for (auto& f : pass.features) f = f.detach();
  return pass;
}

TEST_P(StyleGAN3Parity, ImagesMatchOfficial) {
  double worst = 0;
  for (int seed = 0; seed < 3; ++seed) {
    for (const std::string psi : {"psi1", "psi07"}) {
      const std::string s = "seed" + std::to_string(seed) + "_";
      torch::NoGradGuard no_grad;
      const double err = max_abs_diff(model_->synthesize(fixture_.array(s + "w_" + psi)), fixture_.array(s + "img_" + psi));
      worst = std::max(worst, err);
      EXPECT_LE(err, 1e-4) << s << psi;
    }
  }
  std::printf("[%s] max |image - official| over 6 images: %.3g\n", GetParam().family.c_str(), worst);
  for (Arithmetic a : {Arithmetic::Official, Arithmetic::Drag}) {
    const double err = max_abs_diff(run(*model_, fixture_.array("seed2_w_psi07"), a, false).image,
                                    fixture_.array("seed2_img_psi07"));
    EXPECT_LE(err, 1e-4) << name_of(a);
    std::printf("[%s] max |image - official| (%s arithmetic): %.3g\n", GetParam().family.c_str(), name_of(a), err);
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
  const torch::Tensor ws = fixture_.array("seed0_w_psi07");
  for (Arithmetic a : {Arithmetic::Product, Arithmetic::Drag}) {
    const stylegan3::SynthesisPass pass = run(*model_, ws, a, true);
    ASSERT_EQ(pass.features.size(), 15u);
    // The committed fixtures keep the first 8 channels of the wide layers (tests/data/README.md).
    for (int i : {0, 1, 2, 3, 4, 5, 13}) {
      const torch::Tensor ref = fixture_.array("seed0_block" + std::to_string(i) + "_out_ch8");
      const torch::Tensor ours = pass.features[i].narrow(1, 0, ref.size(1));
      const double scale = ref.abs().max().item<double>();
      EXPECT_LE(max_abs_diff(ours, ref), 1e-4 * std::max(1.0, scale)) << "layer " << i << " " << name_of(a);
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

TEST_P(StyleGAN3Parity, ConvertedFileLoadsToTheSameGenerator) {
  const std::string path = ::testing::TempDir() + "/sg3_" + GetParam().fixture + ".safetensors";
  LoadedModel original = load_model(fixture_.checkpoint());
  save_model(path, *original.generator, original.discriminator, original.discriminator_config);
  LoadedModel converted = load_model(path);
  std::remove(path.c_str());
  EXPECT_EQ(converted.generator->family(), GetParam().family);
  EXPECT_EQ(converted.generator->config_json(), original.generator->config_json());
  EXPECT_EQ(converted.discriminator.size(), original.discriminator.size());
  torch::NoGradGuard no_grad;
  const torch::Tensor ws = fixture_.array("seed1_w_psi07");
  EXPECT_TRUE(torch::equal(converted.generator->synthesize(ws), original.generator->synthesize(ws)));
  EXPECT_LE(max_abs_diff(converted.generator->synthesize(ws), fixture_.array("seed1_img_psi07")), 1e-4);
}

// The official 10-step two-handle drag through the real DragSession: tracked handles equal at every step, the
// losses and ws close, the final image within one uint8 level.
TEST_P(StyleGAN3Parity, DragFollowsTheOfficialTrajectory) {
  const std::string c = "drag2";
  const torch::Tensor ws_ref = fixture_.array(c + "_ws");            // [S+1, 16, w_dim]
  const torch::Tensor handles_ref = fixture_.array(c + "_handles");  // [S+1, N, 2] as [row, col]
  const torch::Tensor loss_ref = fixture_.array(c + "_loss");
  const torch::Tensor stop_ref = fixture_.array(c + "_stop");
  const torch::Tensor points = fixture_.array(c + "_points_init"), targets = fixture_.array(c + "_targets");
  const int64_t steps = loss_ref.size(0), n = points.size(0);
  const nlohmann::json hp = fixture_.manifest().at("drag_hyperparameters");

  DragParams params;
  params.lr = hp.at("lr").get<double>();
  params.feature_block = hp.at("feature_idx").get<int>();
  params.r1 = hp.at("r1").get<double>();
  params.r2 = hp.at("r2").get<double>();
  GeneratorPtr g = model_;
  DragSession session(g, latent_from_seed(*g, 0, hp.at("trunc_psi").get<double>()), params);
  EXPECT_LE(max_abs_diff(session.start_ws(), ws_ref[0].unsqueeze(0)), 1e-6);
  for (int64_t j = 0; j < n; ++j)
    session.add_pair({points[j][1].item<double>(), points[j][0].item<double>()},
                     {targets[j][1].item<double>(), targets[j][0].item<double>()});

  double worst_loss = 0.0, worst_ws = 0.0;
  for (int64_t k = 0; k <= steps; ++k) {
    const double ws_err = max_abs_diff(session.ws()[0], ws_ref[k]);
    worst_ws = std::max(worst_ws, ws_err);
    EXPECT_LE(ws_err, 1e-4) << "ws before step " << k;
    if (k == steps) {
      EXPECT_LE(max_abs_diff(session.image(), fixture_.array(c + "_img_final")), 1e-3);
      const torch::Tensor u8 = session.image_uint8().to(torch::kInt32);
      EXPECT_LE((u8 - fixture_.array(c + "_img_final_uint8").to(torch::kInt32)).abs().max().item<int>(), 1);
    }
    const DragStepReport r = session.step();  // the extra step k = S only tracks, for the last comparison
    ASSERT_EQ(r.handles.size(), static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      EXPECT_EQ(r.handles[j].y, handles_ref[k][j][0].item<int64_t>()) << "step " << k << " handle " << j;
      EXPECT_EQ(r.handles[j].x, handles_ref[k][j][1].item<int64_t>()) << "step " << k << " handle " << j;
    }
    if (k == steps) break;
    const double expected = loss_ref[k].item<double>();
    const double rel = std::abs(r.loss - expected) / std::max(std::abs(expected), 1e-12);
    worst_loss = std::max(worst_loss, rel);
    EXPECT_LE(rel, 1e-4) << "loss at step " << k << ": " << r.loss << " vs " << expected;
    EXPECT_EQ(r.done, stop_ref[k].item<bool>()) << "step " << k;
  }
  std::printf("[%s] drag2: max loss rel err %.3g, max ws abs err %.3g\n", GetParam().family.c_str(), worst_loss,
              worst_ws);
}

INSTANTIATE_TEST_SUITE_P(Formats, StyleGAN3Parity,
                         ::testing::Values(Sg3Case{"stylegan3_t", "stylegan3-t"}, Sg3Case{"stylegan3_r", "stylegan3-r"}),
                         [](const auto& info) { return info.param.fixture; });

}  // namespace stylegan3_parity_test
}  // namespace draggan
