// The two ways into a generator (NVIDIA pkl, our safetensors) must give the same model and the official images.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/io/Image.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/Safetensors.h"
#include "draggan/io/Npy.h"

namespace draggan {
namespace model_file_parity_test {

const std::string kData = DRAGGAN_TEST_DATA;
const std::string kPkl = kData + "/tiny_sg2.pkl";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("draggan_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

torch::Tensor render_seed(LoadedModel& model, uint32_t seed, double psi) {
  torch::NoGradGuard no_grad;
  torch::Tensor ws = model.generator->map(z_from_seed(seed, model.generator->latent_layout().z_dim), {}, psi);
  return model.generator->synthesize(ws);
}

TEST(ModelFile, PickleSnapshotReproducesOfficialImages) {
  LoadedModel model = load_model(kPkl);
  EXPECT_EQ(model.format, "nvidia-pkl");
  EXPECT_FALSE(model.discriminator.empty());
  for (uint32_t seed : {0u, 1u, 2u}) {
    for (auto [psi, tag] : {std::pair{1.0, "psi1"}, std::pair{0.7, "psi07"}}) {
      torch::Tensor expected = read_npy(kData + "/seed" + std::to_string(seed) + "_img_" + tag + ".npy");
      torch::Tensor got = render_seed(model, seed, psi);
      const double err = (got - expected).abs().max().item<double>();
      EXPECT_LE(err, 1e-4) << "seed " << seed << " " << tag;
      RecordProperty("max_abs_err_seed" + std::to_string(seed) + "_" + tag, std::to_string(err));
    }
  }
}

TEST(ModelFile, DisplayedImageMatchesOfficialUint8) {
  LoadedModel model = load_model(kPkl);
  for (uint32_t seed : {0u, 1u, 2u}) {
    torch::Tensor expected = read_npy(kData + "/seed" + std::to_string(seed) + "_img_psi07_uint8.npy");
    torch::Tensor got = image_to_uint8(render_seed(model, seed, 0.7));
    const int64_t differing = (got.to(torch::kInt32) - expected.to(torch::kInt32)).abs().gt(0).sum().item<int64_t>();
    // Truncation to uint8 can flip a level where the official value sits within 1e-5 of an integer boundary.
    EXPECT_LE(differing, 2) << "seed " << seed;
    EXPECT_LE((got.to(torch::kInt32) - expected.to(torch::kInt32)).abs().max().item<int>(), 1);
  }
}

TEST(ModelFile, ConvertedSafetensorsEqualsPicklePath) {
  LoadedModel from_pkl = load_model(kPkl);
  const std::string path = temp_path("tiny.safetensors");
  save_model(path, *from_pkl.generator, from_pkl.discriminator, from_pkl.discriminator_config);
  LoadedModel from_st = load_model(path);
  EXPECT_EQ(from_st.format, "safetensors");
  EXPECT_EQ(from_st.generator->family(), from_pkl.generator->family());
  EXPECT_EQ(from_st.generator->config_json(), from_pkl.generator->config_json());
  EXPECT_EQ(from_st.discriminator.size(), from_pkl.discriminator.size());
  for (uint32_t seed : {0u, 1u}) EXPECT_TRUE(torch::equal(render_seed(from_st, seed, 0.7), render_seed(from_pkl, seed, 0.7)));
  std::remove(path.c_str());
}

TEST(ModelFile, RejectsFilesThatAreNotCheckpoints) {
  const std::string path = temp_path("garbage.bin");
  {
    std::ofstream out(path, std::ios::binary);
    out << "this is not a checkpoint at all";
  }
  EXPECT_THROW(load_model(path), CheckpointError);
  EXPECT_THROW(load_model(temp_path("does-not-exist.pkl")), CheckpointError);
  std::remove(path.c_str());
}

TEST(ModelFile, SafetensorsWithoutGeneratorConfigIsRejected) {
  LoadedModel from_pkl = load_model(kPkl);
  StateDict tensors;
  for (const auto& [name, t] : state_dict_of(from_pkl.generator->module())) tensors["G_ema." + name] = t;
  const std::string path = temp_path("noconfig.safetensors");
  write_safetensors(path, tensors, {{"format", "draggan"}});
  try {
    load_model(path);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("generator_config"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

}  // namespace model_file_parity_test
}  // namespace draggan
