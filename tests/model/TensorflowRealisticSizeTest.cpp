// A TensorFlow StyleGAN2 pickle of a real checkpoint's shape: 256 px config-f (z = w = 512, fmap_base 16384
// so 512..128 channels, 8 mapping layers), G, D and Gs as NVlabs/stylegan2 pickles them (about 300 MB),
// written into a temp dir from random modules (support/TensorflowPickleWriter.h; no large file is committed).
// Loading, the shapes, every tensor and the convert round trip are checked at that size.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "draggan/io/ModelFile.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"
#include "support/TensorflowPickleWriter.h"

namespace draggan {
namespace tensorflow_realistic_size_test {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class TensorflowRealisticSize : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("draggan_tf_256_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    // What legacy.py makes of config-f's static kwargs {num_channels, resolution, label_size, fmap_base}.
    GeneratorConfig gc;
    gc.z_dim = gc.w_dim = 512;
    gc.img_resolution = 256;
    gc.mapping_layers = 8;
    gc.channel_base = 32768;
    gc.channel_max = 512;
    gc.num_fp16_res = 0;
    gc.w_avg_beta = 0.995;
    DiscriminatorConfig dc;
    dc.img_resolution = 256;
    dc.channel_base = 32768;
    dc.num_fp16_res = 0;
    dc.conv_clamp.reset();
    dc.mbstd_group_size.reset();
    torch::manual_seed(256);
    source_g_ = std::make_unique<Generator>(gc);
    source_d_ = std::make_unique<Discriminator>(dc);
    test::perturb(**source_g_, 1);
    test::perturb(**source_d_, 2);

    const nlohmann::json kwargs = {
        {"num_channels", 3}, {"resolution", 256}, {"label_size", 0}, {"fmap_base", 16384}};
    path_ = (dir_ / "stylegan2-random256-config-f.pkl").string();
    {
      test::TfNetwork gs = test::tf_generator_network(*source_g_, kwargs, "Gs");
      test::TfNetwork g = gs;
      g.name = "G";
      const test::TfNetwork d = test::tf_discriminator_network(*source_d_, kwargs);
      const std::string bytes = test::tf_pickle_bytes({&g, &d, &gs});
      std::ofstream(path_, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    const auto t0 = std::chrono::steady_clock::now();
    model_ = std::make_unique<LoadedModel>(load_model(path_));
    std::printf("[ size ] %s: %.0f MB, load_model %.2f s\n", path_.c_str(),
                std::filesystem::file_size(path_) / 1e6, seconds_since(t0));
  }
  static void TearDownTestSuite() {
    model_.reset();
    source_g_.reset();
    source_d_.reset();
    std::filesystem::remove_all(dir_);
  }

  static std::filesystem::path dir_;
  static std::string path_;
  static std::unique_ptr<Generator> source_g_;
  static std::unique_ptr<Discriminator> source_d_;
  static std::unique_ptr<LoadedModel> model_;
};
std::filesystem::path TensorflowRealisticSize::dir_;
std::string TensorflowRealisticSize::path_;
std::unique_ptr<Generator> TensorflowRealisticSize::source_g_;
std::unique_ptr<Discriminator> TensorflowRealisticSize::source_d_;
std::unique_ptr<LoadedModel> TensorflowRealisticSize::model_;

void expect_same(const StateDict& got, const StateDict& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [name, t] : expected) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(torch::equal(got.at(name), t)) << name;
  }
}

TEST_F(TensorflowRealisticSize, LoadsWithTheOfficialConfigFShapes) {
  EXPECT_EQ(model_->format, "tensorflow-pkl");
  EXPECT_EQ(model_->generator->image_shape().height, 256);
  const GeneratorConfig& c = dynamic_cast<StyleGAN2Model&>(*model_->generator).config();
  EXPECT_EQ(c.img_resolution, 256);
  EXPECT_EQ(c.z_dim, 512);
  EXPECT_EQ(c.w_dim, 512);
  EXPECT_EQ(c.num_ws(), 14);
  EXPECT_EQ(c.channels_at(64), 512);
  EXPECT_EQ(c.channels_at(128), 256);
  EXPECT_EQ(c.channels_at(256), 128);
  EXPECT_EQ(c.mapping_layers, 8);
  EXPECT_EQ(parameter_count(model_->generator->module()), parameter_count(**source_g_));
  EXPECT_GT(parameter_count(model_->generator->module()), 20'000'000);
  EXPECT_EQ(model_->discriminator_config["img_resolution"], 256);
}

TEST_F(TensorflowRealisticSize, EveryTensorOfGsAndDComesBackExactly) {
  expect_same(state_dict_of(model_->generator->module()), state_dict_of(**source_g_));
  expect_same(model_->discriminator, state_dict_of(**source_d_));
}

TEST_F(TensorflowRealisticSize, ConvertedSafetensorsLoadToTheSameModelAndImage) {
  const std::string out = (dir_ / "converted.safetensors").string();
  save_model(out, *model_->generator, model_->discriminator, model_->discriminator_config);
  LoadedModel back = load_model(out);
  EXPECT_EQ(back.generator->config_json(), model_->generator->config_json());
  expect_same(state_dict_of(back.generator->module()), state_dict_of(model_->generator->module()));
  expect_same(back.discriminator, model_->discriminator);
  torch::NoGradGuard no_grad;
  const torch::Tensor z = torch::randn({1, 512});
  const torch::Tensor image = back.generator->synthesize(back.generator->map(z, {}, 0.7));
  EXPECT_EQ(image.sizes(), (std::vector<int64_t>{1, 3, 256, 256}));
  EXPECT_TRUE(torch::equal(image, (*source_g_)->forward(z, {}, 0.7)));
}

}  // namespace tensorflow_realistic_size_test
}  // namespace draggan
