// The `draggan` binary on a StyleGAN-Human snapshot (the 64x32 fixture): generate writes the true 2:1 image,
// info describes it, convert round-trips it, drag takes 2:1 masks and writes 2:1 frames, project fits a photo to
// the 2:1 frame, and wrong-aspect inputs fail with one line that names the file and both sizes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "CliCommand.h"
#include "draggan/io/Image.h"
#include "draggan/io/Npy.h"

namespace cli_human_test {

using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;

const std::string kFixture = std::string(DRAGGAN_TEST_DATA) + "/formats/stylegan_human";
const std::string kModel = kFixture + "/stylegan_human_tiny_64x32.pkl";

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_cli_human_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

int max_level_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(torch::kInt32) - b.to(torch::kInt32)).abs().max().item<int>();
}

bool one_line(const std::string& output) {
  const size_t end = output.find_last_not_of('\n');
  return end != std::string::npos && output.substr(0, end).find('\n') == std::string::npos;
}

TEST(CliHuman, GenerateWritesTheTwoToOneImage) {
  const std::string out = temp_dir() + "/seed1.png";
  const CommandResult r = run("generate --model " + kModel + " --seed 1 --psi 0.7 --threads 1 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const torch::Tensor png = draggan::read_image(out);
  EXPECT_EQ(png.sizes(), (std::vector<int64_t>{64, 32, 3}));  // 32 wide, 64 tall
  const torch::Tensor official = draggan::image_to_uint8(draggan::read_npy(kFixture + "/seed1_img_psi07_raw.npy"));
  EXPECT_LE(max_level_diff(png, official), 1);
  // The official renderer shows it padded to a white square; the middle 32 columns are the image.
  const torch::Tensor shown = draggan::read_npy(kFixture + "/seed1_img_psi07_uint8.npy");
  EXPECT_LE(max_level_diff(png, shown.slice(1, 16, 48)), 1);
  EXPECT_EQ(shown.slice(1, 0, 16).min().item<int>(), 255);
}

TEST(CliHuman, InfoDescribesTheFamilyAndShape) {
  const CommandResult r = run("info " + kModel + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["family"], "stylegan-human");
  EXPECT_EQ(j["width"], 32);
  EXPECT_EQ(j["height"], 64);
  EXPECT_EQ(j["generator"]["square"], false);
  EXPECT_EQ(j["default_feature_layer"], 3);  // a 64-px model: the block at half the resolution
  EXPECT_NE(j["description"].get<std::string>().find("StyleGAN-Human"), std::string::npos);
  const CommandResult text = run("info " + kModel);
  EXPECT_NE(text.output.find("32x64 (width x height)"), std::string::npos) << text.output;
}

TEST(CliHuman, ConvertedModelWorksInEveryCommand) {
  const std::string dir = temp_dir();
  const std::string st = dir + "/human.safetensors";
  ASSERT_EQ(run("convert " + kModel + " " + st).exit_code, 0);
  const CommandResult info = run("info " + st + " --json");
  ASSERT_EQ(info.exit_code, 0) << info.output;
  EXPECT_EQ(nlohmann::json::parse(info.output.substr(info.output.find('{')))["family"], "stylegan-human");
  ASSERT_EQ(run("generate --model " + kModel + " --seed 0 --out " + dir + "/a.png").exit_code, 0);
  ASSERT_EQ(run("generate --model " + st + " --seed 0 --out " + dir + "/b.png").exit_code, 0);
  EXPECT_TRUE(torch::equal(draggan::read_image(dir + "/a.png"), draggan::read_image(dir + "/b.png")));
  const std::string drag = " --seed 0 --handle 6,20 --target 12,26 --steps 3 --lr 0.01 --r1 16 --r2 48 --threads 1";
  ASSERT_EQ(run("drag --model " + kModel + drag + " --out " + dir + "/da.png").exit_code, 0);
  ASSERT_EQ(run("drag --model " + st + drag + " --out " + dir + "/db.png").exit_code, 0);
  EXPECT_TRUE(torch::equal(draggan::read_image(dir + "/da.png"), draggan::read_image(dir + "/db.png")));
  // The converted file keeps the 2:1 discriminator, which the full schedule uses as its perceptual loss.
  const CommandResult project = run("project --model " + st + " --image " + dir + "/a.png --schedule full --steps 2 --pti-steps 1" +
                                    " --threads 1 --out " + dir + "/p.png --out-latent " + dir + "/p.npy --out-model " +
                                    dir + "/p.safetensors");
  ASSERT_EQ(project.exit_code, 0) << project.output;
  EXPECT_NE(project.output.find("perceptual loss: discriminator"), std::string::npos) << project.output;
}

TEST(CliHuman, DragTakesATwoToOneMaskAndWritesTwoToOneFrames) {
  const std::string dir = temp_dir();
  // Movable: the upper half of the 32x64 image.
  torch::Tensor mask = torch::zeros({64, 32, 1}, torch::kUInt8);
  mask.slice(0, 0, 32).fill_(255);
  draggan::write_png(dir + "/mask.png", mask.expand({64, 32, 3}).contiguous());
  const CommandResult r = run("drag --model " + kModel + " --seed 0 --handle 6,20 --target 12,26 --steps 4 --lr 0.01" +
                              " --r1 16 --r2 48 --mask " + dir + "/mask.png --out " + dir + "/dragged.png --video " +
                              dir + "/drag.gif --trajectory " + dir + "/drag.json --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(draggan::read_image(dir + "/dragged.png").sizes(), (std::vector<int64_t>{64, 32, 3}));
  std::ifstream gif(dir + "/drag.gif", std::ios::binary);
  std::string head(10, '\0');
  gif.read(head.data(), 10);
  EXPECT_EQ(head.substr(0, 6), "GIF89a");
  EXPECT_EQ(static_cast<unsigned char>(head[6]) | static_cast<unsigned char>(head[7]) << 8, 32);
  EXPECT_EQ(static_cast<unsigned char>(head[8]) | static_cast<unsigned char>(head[9]) << 8, 64);
  const auto trajectory = nlohmann::json::parse(std::ifstream(dir + "/drag.json"));
  ASSERT_EQ(trajectory["steps"].size(), 4u);
  EXPECT_EQ(trajectory["handles_start"][0], nlohmann::json({6.0, 20.0}));

  // A square mask, or a point on the white padding of the official square, does not fit the 32x64 image.
  draggan::write_png(dir + "/square.png", torch::zeros({64, 64, 3}, torch::kUInt8));
  const CommandResult wrong = run("drag --model " + kModel + " --handle 6,20 --target 12,26 --steps 1 --mask " + dir +
                                  "/square.png --out " + dir + "/x.png");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_TRUE(one_line(wrong.output)) << wrong.output;
  EXPECT_NE(wrong.output.find("square.png"), std::string::npos) << wrong.output;
  EXPECT_NE(wrong.output.find("64x64"), std::string::npos) << wrong.output;
  EXPECT_NE(wrong.output.find("32x64"), std::string::npos) << wrong.output;
  const CommandResult outside = run("drag --model " + kModel + " --handle 50,20 --target 12,26 --steps 1 --out " + dir +
                                    "/x.png");
  EXPECT_EQ(outside.exit_code, 1) << outside.output;
  EXPECT_NE(outside.output.find("outside"), std::string::npos) << outside.output;
}

TEST(CliHuman, ProjectFitsAPhotoToTheTwoToOneFrame) {
  const std::string dir = temp_dir();
  ASSERT_EQ(run("generate --model " + kModel + " --seed 2 --out " + dir + "/target.png").exit_code, 0);
  // The same image on a wider canvas: `--fit pad` has to shrink it back into 32x64, `crop` cuts the sides.
  const torch::Tensor target = draggan::read_image(dir + "/target.png");
  torch::Tensor wide = torch::full({64, 48, 3}, 255, torch::kUInt8);
  wide.slice(1, 8, 40).copy_(target);
  draggan::write_png(dir + "/wide.png", wide);
  for (const std::string fit : {"crop", "pad"}) {
    const CommandResult r = run("project --model " + kModel + " --image " + dir + "/wide.png --fit " + fit +
                                " --steps 30 --pti-steps 5 --perceptual none --threads 1 --out " + dir + "/recon_" + fit +
                                ".png --out-latent " + dir + "/w_" + fit + ".npy --out-model " + dir + "/m_" + fit +
                                ".safetensors --out-target " + dir + "/fitted_" + fit + ".png");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(draggan::read_image(dir + "/fitted_" + fit + ".png").sizes(), (std::vector<int64_t>{64, 32, 3})) << fit;
    EXPECT_EQ(draggan::read_image(dir + "/recon_" + fit + ".png").sizes(), (std::vector<int64_t>{64, 32, 3})) << fit;
    EXPECT_EQ(draggan::read_npy(dir + "/w_" + fit + ".npy").sizes(), (std::vector<int64_t>{1, 10, 64})) << fit;
  }
  // Cropping the centre 32 columns of the wide image gives back the generated one.
  EXPECT_LE(max_level_diff(draggan::read_image(dir + "/fitted_crop.png"), target), 1);
  // The discriminator of a StyleGAN-Human snapshot (2:1 too) serves as the full schedule's default perceptual loss.
  const CommandResult with_d = run("project --model " + kModel + " --image " + dir + "/target.png --schedule full --steps 2" +
                                   " --pti-steps 1 --threads 1 --out " + dir + "/r.png --out-latent " + dir +
                                   "/p.npy --out-model " + dir + "/m.safetensors");
  ASSERT_EQ(with_d.exit_code, 0) << with_d.output;
  EXPECT_NE(with_d.output.find("perceptual loss: discriminator"), std::string::npos) << with_d.output;
}

}  // namespace cli_human_test
