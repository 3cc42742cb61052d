// The `draggan` binary as a user runs it: generate/info/convert, and clean errors on bad input.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "CliCommand.h"
#include "draggan/io/Image.h"
#include "draggan/io/Npy.h"

namespace cli_generate_test {

const std::string kData = DRAGGAN_TEST_DATA;

using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(CliGenerate, WritesTheOfficialImageForASeed) {
  const std::string out = temp_dir() + "/seed1.png";
  const std::string w_out = temp_dir() + "/seed1_w.npy";
  CommandResult r = run("generate --model " + kData + "/tiny_sg2.pkl --seed 1 --psi 0.7 --out " + out +
                        " --w-out " + w_out + " --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  torch::Tensor png = draggan::read_image(out);
  torch::Tensor expected = draggan::read_npy(kData + "/seed1_img_psi07_uint8.npy");
  ASSERT_EQ(png.sizes(), expected.sizes());
  EXPECT_LE((png.to(torch::kInt32) - expected.to(torch::kInt32)).abs().max().item<int>(), 1);
  torch::Tensor w = draggan::read_npy(w_out);
  torch::Tensor w_expected = draggan::read_npy(kData + "/seed1_w_psi07.npy");
  EXPECT_LE((w - w_expected).abs().max().item<double>(), 1e-5);
}

TEST(CliGenerate, RendersASavedLatent) {
  const std::string out = temp_dir() + "/from_latent.png";
  CommandResult r = run("generate --model " + kData + "/tiny_sg2.pkl --latent " + kData + "/seed2_w_psi07.npy --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  torch::Tensor expected = draggan::read_npy(kData + "/seed2_img_psi07_uint8.npy");
  EXPECT_LE((draggan::read_image(out).to(torch::kInt32) - expected.to(torch::kInt32)).abs().max().item<int>(), 1);
}

TEST(CliInfo, DescribesTheFixtureModel) {
  CommandResult r = run("info " + kData + "/tiny_sg2.pkl --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["generator"]["img_resolution"], 64);
  EXPECT_EQ(j["generator"]["z_dim"], 64);
  EXPECT_EQ(j["num_ws"], 10);
  EXPECT_TRUE(j["has_discriminator"].get<bool>());
  EXPECT_GT(j["generator_parameters"].get<int64_t>(), 100000);
}

TEST(CliConvert, ConvertedModelGeneratesTheSameImage) {
  const std::string st = temp_dir() + "/tiny.safetensors";
  ASSERT_EQ(run("convert " + kData + "/tiny_sg2.pkl " + st).exit_code, 0);
  const std::string a = temp_dir() + "/a.png", b = temp_dir() + "/b.png";
  ASSERT_EQ(run("generate --model " + kData + "/tiny_sg2.pkl --seed 0 --out " + a).exit_code, 0);
  ASSERT_EQ(run("generate --model " + st + " --seed 0 --out " + b).exit_code, 0);
  EXPECT_TRUE(torch::equal(draggan::read_image(a), draggan::read_image(b)));
}

TEST(CliConvert, RefusesACheckpointLikeOutputNameItWouldFillWithSafetensors) {
  const std::string pkl = temp_dir() + "/tiny_out.PKL";
  CommandResult result = run("convert " + kData + "/tiny_sg2.pkl " + pkl);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("safetensors only"), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(pkl));
}

TEST(CliErrors, BadInputGivesOneLineAndNonZeroExit) {
  CommandResult missing = run("generate --model /nonexistent/model.pkl --seed 0 --out /tmp/x.png");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("/nonexistent/model.pkl"), std::string::npos) << missing.output;

  CommandResult bad_noise = run("generate --model " + kData + "/tiny_sg2.pkl --noise loud --out /tmp/x.png");
  EXPECT_EQ(bad_noise.exit_code, 1);
  EXPECT_NE(bad_noise.output.find("noise"), std::string::npos) << bad_noise.output;

  CommandResult not_a_model = run("info " + kData + "/seed0_z.npy");
  EXPECT_EQ(not_a_model.exit_code, 1);
  EXPECT_NE(not_a_model.output.find("seed0_z.npy"), std::string::npos) << not_a_model.output;

  CommandResult bad_device = run("info " + kData + "/tiny_sg2.pkl --device quantum");
  EXPECT_NE(bad_device.exit_code, 0);
}

}  // namespace cli_generate_test
