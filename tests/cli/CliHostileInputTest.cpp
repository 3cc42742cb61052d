// The CLI refuses what the editor refuses (issue 12): images whose header declares more than the budget are
// refused before they are decoded, a mask is checked against the model's size from its header, and a latent
// must be finite before anything is rendered from it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "CliCommand.h"
#include "draggan/io/Image.h"
#include "draggan/io/Npy.h"

namespace cli_hostile_input_test {

using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;
const std::string kModel = std::string(DRAGGAN_TEST_DATA) + "/tiny_sg2.pkl";

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_cli_hostile_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A 1 kB PNG whose header declares width x height (stb does not check the CRC).
std::string write_forged_png(const std::string& name, uint32_t width, uint32_t height) {
  std::string png = draggan::encode_png(torch::zeros({2, 2, 4}, torch::kUInt8));
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<char>(width >> (24 - 8 * i));
    png[20 + i] = static_cast<char>(height >> (24 - 8 * i));
  }
  const std::string path = temp_dir() + "/" + name;
  std::ofstream(path, std::ios::binary) << png;
  return path;
}

TEST(CliHostileInput, ProjectRefusesAnImageAboveThePixelBudgetFromItsHeader) {
  const std::string huge = write_forged_png("huge.png", 16000, 16000);
  const auto started = std::chrono::steady_clock::now();
  CommandResult r = run("project --model " + kModel + " --image " + huge + " --out-latent " + temp_dir() + "/w.npy");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("16000x16000, larger than the limit"), std::string::npos) << r.output;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(20));
}

TEST(CliHostileInput, DragChecksTheMaskSizeBeforeDecodingIt) {
  const std::string mask = write_forged_png("mask.png", 16000, 16000);
  CommandResult r = run("drag --model " + kModel + " --seed 0 --handle 10,10 --target 20,10 --steps 1 --mask " + mask +
                        " --out " + temp_dir() + "/out.png");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("the mask is 16000x16000 but the model makes 64x64"), std::string::npos) << r.output;
}

TEST(CliHostileInput, GenerateRejectsANonFiniteLatent) {
  const std::string latent = temp_dir() + "/nan.npy";
  draggan::write_npy(latent, torch::full({1, 10, 64}, std::numeric_limits<float>::quiet_NaN()));
  const std::string out = temp_dir() + "/nan.png";
  CommandResult r = run("generate --model " + kModel + " --latent " + latent + " --out " + out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("NaN or infinity"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace cli_hostile_input_test
