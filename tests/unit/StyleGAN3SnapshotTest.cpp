// StyleGAN3 snapshots that cannot be built: hostile or absurd init kwargs, missing or misshapen tensors,
// truncated files. Each ends in a CheckpointError naming the field or tensor (and the file where one is read),
// never a crash or a huge allocation. Also: a model of a realistic shape built from its config alone.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "draggan/core/Error.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/NvidiaPickle.h"
#include "draggan/nn/stylegan3/StyleGAN3Family.h"
#include "draggan/nn/stylegan3/StyleGAN3Kwargs.h"
#include "draggan/nn/stylegan3/StyleGAN3Model.h"

namespace draggan {
namespace stylegan3_snapshot_test {

namespace fs = std::filesystem;

const std::string kSg3T = DRAGGAN_TEST_DATA "/formats/stylegan3_t/stylegan3-t-tiny-64x64.pkl";

// The official stylegan3-t training config at 128 px with z = w = 512 (train.py --cfg=stylegan3-t defaults).
nlohmann::json official_t_kwargs(int resolution) {
  return {{"z_dim", 512},         {"w_dim", 512},         {"mapping_kwargs", {{"num_layers", 2}}},
          {"channel_base", 32768}, {"channel_max", 512},   {"magnitude_ema_beta", 0.9988915792636801},
          {"c_dim", 0},           {"img_resolution", resolution}, {"img_channels", 3}};
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("draggan_sg3_" + std::to_string(getpid()) + "_" + name)).string();
}
void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}
std::string le32(uint32_t v) {
  std::string s(4, '\0');
  for (int k = 0; k < 4; ++k) s[k] = static_cast<char>((v >> (8 * k)) & 0xff);
  return s;
}

TEST(StyleGAN3Kwargs, OfficialConfigGivesTheOfficialLayers) {
  const stylegan3::StyleGAN3Config c = stylegan3::config_from_nvidia_kwargs(official_t_kwargs(128));
  EXPECT_EQ(c.family(), "stylegan3-t");
  EXPECT_EQ(c.num_ws(), 16);
  const auto layers = c.layers();
  ASSERT_EQ(layers.size(), 15u);
  std::string names;
  for (const auto& l : layers) names += l.name + " ";
  EXPECT_EQ(names,
            "L0_36_512 L1_36_512 L2_36_512 L3_52_512 L4_52_512 L5_52_512 L6_84_512 L7_84_512 L8_84_512 "
            "L9_148_512 L10_148_456 L11_148_342 L12_148_256 L13_128_256 L14_128_3 ");
  EXPECT_EQ(layers[3].up_factor, 4);
  EXPECT_EQ(layers[3].up_taps, 24);
  EXPECT_EQ(layers[13].padding[0], -11);

  nlohmann::json r = official_t_kwargs(128);
  r["conv_kernel"] = 1;
  r["use_radial_filters"] = true;
  r["channel_base"] = 65536;
  r["channel_max"] = 1024;
  const stylegan3::StyleGAN3Config rc = stylegan3::config_from_nvidia_kwargs(r);
  EXPECT_EQ(rc.family(), "stylegan3-r");
  EXPECT_TRUE(rc.layers()[0].down_radial);
  EXPECT_FALSE(rc.layers()[13].down_radial);  // critically sampled layers keep separable filters
}

TEST(StyleGAN3Kwargs, AbsurdOrHostileValuesNameTheField) {
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* expect;
  };
  const Case cases[] = {
      {"img_resolution", 1 << 30, "img_resolution must be in 4..4096"},
      {"img_resolution", -64, "img_resolution"},
      {"channel_base", -32768, "channel_base"},
      {"channel_max", -1, "channel_max"},
      {"channel_max", 1 << 20, "channel_max"},
      {"z_dim", int64_t{1} << 40, "'z_dim'"},
      {"w_dim", "512", "'w_dim'"},
      {"num_layers", 1000, "num_layers"},
      {"num_critical", 14, "num_critical"},
      {"margin_size", 100000, "margin_size"},
      {"conv_kernel", 0, "conv_kernel"},
      {"filter_size", 1 << 20, "filter_size"},
      {"use_radial_filters", 1, "'use_radial_filters'"},
      {"magnitude_ema_beta", "x", "'magnitude_ema_beta'"},
      {"first_cutoff", -2.0, "first_cutoff"},
      {"conv_clamp", -1.0, "conv_clamp"},
      {"mystery_option", 3, "mystery_option"},
      {"resize", 512, "resize"},
      {"mapping_kwargs", {{"num_layers", 2}, {"embed_features", 3}}, "mapping_kwargs.embed_features"},
      {"mapping_kwargs", {{"num_layers", 100000}}, "mapping layers"},
      {"mapping_kwargs", 7, "'mapping_kwargs'"},
  };
  for (const Case& c : cases) {
    nlohmann::json kwargs = official_t_kwargs(128);
    kwargs[c.key] = c.value;
    const std::string e = error_of([&] { stylegan3::config_from_nvidia_kwargs(kwargs); });
    EXPECT_NE(e.find(c.expect), std::string::npos) << c.key << " = " << c.value.dump() << ": " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  nlohmann::json missing = official_t_kwargs(128);
  missing.erase("w_dim");
  EXPECT_NE(error_of([&] { stylegan3::config_from_nvidia_kwargs(missing); }).find("missing 'w_dim'"),
            std::string::npos);
  // Sizes that are each plausible but together would allocate gigabytes are refused before any allocation.
  nlohmann::json huge = official_t_kwargs(4096);
  huge["channel_base"] = 1 << 30;
  huge["channel_max"] = 16384;
  EXPECT_NE(error_of([&] { stylegan3::config_from_nvidia_kwargs(huge); }).find("more than"), std::string::npos);
}

class StyleGAN3Snapshot : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { snap_ = std::make_unique<NvidiaSnapshot>(read_nvidia_pkl(kSg3T)); }
  static void TearDownTestSuite() { snap_.reset(); }
  static std::string build_error(const StateDict& tensors) {
    const GeneratorFamily f = stylegan3_t_family();
    return error_of([&] {
      f.build(f.config_from_snapshot(snap_->g_init_kwargs, tensors), tensors, "sg3.pkl: G_ema", torch::kCPU);
    });
  }
  static std::unique_ptr<NvidiaSnapshot> snap_;
};
std::unique_ptr<NvidiaSnapshot> StyleGAN3Snapshot::snap_;

TEST_F(StyleGAN3Snapshot, IsTheTFamilyByContent) {
  EXPECT_TRUE(is_stylegan3_snapshot(snap_->g_ema));
  EXPECT_TRUE(stylegan3_t_family().matches_snapshot(snap_->g_init_kwargs, snap_->g_ema));
  EXPECT_FALSE(stylegan3_r_family().matches_snapshot(snap_->g_init_kwargs, snap_->g_ema));
  // Without the kwarg, the separable (1-D) down filters still say T.
  nlohmann::json no_flag = snap_->g_init_kwargs;
  no_flag.erase("use_radial_filters");
  EXPECT_FALSE(stylegan3_uses_radial_filters(no_flag, snap_->g_ema));
}

TEST_F(StyleGAN3Snapshot, MissingMisshapenOrExtraTensorsAreNamed) {
  StateDict t = snap_->g_ema;
  t.erase("synthesis.L4_52_64.up_filter");
  std::string e = build_error(t);
  EXPECT_NE(e.find("sg3.pkl: G_ema: missing tensor 'synthesis.L4_52_64.up_filter'"), std::string::npos) << e;

  t = snap_->g_ema;
  t["synthesis.input.freqs"] = torch::zeros({64, 3});
  e = build_error(t);
  EXPECT_NE(e.find("'synthesis.input.freqs' has shape [64, 3], the model expects [64, 2]"), std::string::npos) << e;

  t = snap_->g_ema;
  t["synthesis.L0_36_64.down_filter"] = torch::zeros({12, 12});  // a radial filter in a T model
  e = build_error(t);
  EXPECT_NE(e.find("synthesis.L0_36_64.down_filter"), std::string::npos) << e;

  t = snap_->g_ema;
  t["synthesis.L14_64_3.up_filter"] = torch::zeros({12});  // ToRGB has no filters
  e = build_error(t);
  EXPECT_NE(e.find("unexpected tensor 'synthesis.L14_64_3.up_filter'"), std::string::npos) << e;
}

TEST_F(StyleGAN3Snapshot, TruncatedFileIsAnErrorWithTheOffset) {
  const std::string bytes = slurp(kSg3T);
  const std::string path = temp_path("cut.pkl");
  for (size_t cut : {size_t{10}, size_t{30000}, bytes.size() / 3, bytes.size() - 200, bytes.size() - 1}) {
    spit(path, bytes.substr(0, cut));
    const std::string e = error_of([&] { load_model(path); });
    EXPECT_NE(e.find(path + ": offset"), std::string::npos) << "cut " << cut << ": " << e;
  }
  fs::remove(path);
}

TEST_F(StyleGAN3Snapshot, HostileKwargsInsideTheFileAreNamed) {
  // G_ema is the snapshot's last network; its kwargs refer to memoised keys: LONG_BINGET <memo> then the value.
  const std::string bytes = slurp(kSg3T);
  struct Patch {
    std::string find, replace, expect;
  };
  const std::string get_img_res = "j" + le32(2306), get_channel_base = "j" + le32(2316);
  double nan = std::nan("");
  std::string nan_be(8, '\0');
  for (int k = 0; k < 8; ++k) nan_be[k] = reinterpret_cast<const char*>(&nan)[7 - k];
  const Patch patches[] = {
      {get_img_res + "K\x40", get_img_res + std::string("K\x00", 2), "img_resolution must be in 4..4096, got 0"},
      {get_channel_base + "M" + std::string("\x00\x80", 2), get_channel_base + "M" + std::string("\x00\x00", 2),
       "channel_base must be positive"},
      {"j" + le32(366) + "G", "", "magnitude_ema_beta is not finite"},
  };
  const std::string path = temp_path("hostile.pkl");
  for (const Patch& p : patches) {
    std::string patched = bytes;
    const size_t at = patched.rfind(p.find);
    ASSERT_NE(at, std::string::npos) << p.expect;
    if (p.replace.empty())
      patched.replace(at + p.find.size(), 8, nan_be);  // the BINFLOAT's big-endian payload
    else
      patched.replace(at, p.find.size(), p.replace);
    spit(path, patched);
    const std::string e = error_of([&] { load_model(path); });
    EXPECT_NE(e.find(path + ": G_ema init_kwargs: "), std::string::npos) << e;
    EXPECT_NE(e.find(p.expect), std::string::npos) << e;
  }
  fs::remove(path);
}

TEST(StyleGAN3Model, RealisticShapeBuiltFromItsConfigAlone) {
  // A random 128-px T generator of the official config (z = w = 512): the supervised feature's shape, one drag
  // step with the official defaults (feature_idx 5, r1 3 -> 1 px, r2 12 -> 3 px) and the image.
  torch::manual_seed(1);
  const nlohmann::json config = stylegan3::config_from_nvidia_kwargs(official_t_kwargs(128)).to_json();
  auto model = std::make_shared<StyleGAN3Model>(stylegan3::Generator(stylegan3::StyleGAN3Config::from_json(config)));
  EXPECT_EQ(model->parameter_count(), 32833523);  // 10 layers at 512 channels, then 456, 342, 256, 256
  const torch::Tensor ws = latent_from_seed(*model, 0, 0.7);
  ASSERT_EQ(ws.sizes(), (std::vector<int64_t>{1, 16, 512}));
  {
    torch::NoGradGuard no_grad;
    FeatureRequest request;
    request.layer = model->default_feature_layer();
    const FeatureResult r = model->features(ws, request);
    ASSERT_EQ(r.windows.size(), 1u);
    EXPECT_EQ(r.windows[0].features.sizes(), (std::vector<int64_t>{1, 512, 128, 128}));
  }
  DragSession session(model, ws);
  EXPECT_EQ(session.resolved().feature_layer, "L5_52_512");
  EXPECT_EQ(session.resolved().r1_pixels, 1);
  EXPECT_EQ(session.resolved().r2_pixels, 3);
  session.add_pair({40, 50}, {60, 50});
  session.add_pair({90, 80}, {80, 100});
  const DragStepReport r = session.step();
  EXPECT_TRUE(std::isfinite(r.loss));
  EXPECT_GT(r.loss, 0.0);
  EXPECT_FALSE(r.done);
  EXPECT_GT((session.ws() - ws).abs().max().item<double>(), 0.0);
  EXPECT_EQ((session.ws() - ws).narrow(1, 6, 10).abs().max().item<double>(), 0.0);  // rows 6.. stay w0
  const torch::Tensor img = session.image();
  EXPECT_EQ(img.sizes(), (std::vector<int64_t>{1, 3, 128, 128}));
  EXPECT_TRUE(torch::isfinite(img).all().item<bool>());
}

}  // namespace stylegan3_snapshot_test
}  // namespace draggan
