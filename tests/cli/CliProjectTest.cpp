// `draggan project` as a user runs it: a generated image is projected and tuned, the printed PSNR agrees with
// one recomputed from the written files, the saved model + latent render the reconstruction again, and bad
// images fail with one clear line naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "CliCommand.h"
#include "draggan/invert/ImageMetrics.h"
#include "draggan/io/Image.h"
#include "draggan/io/Npy.h"

namespace cli_project_test {

const std::string kData = DRAGGAN_TEST_DATA;

using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_cli_project_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

double printed_psnr(const std::string& output, const std::string& stage) {
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(stage + ": PSNR ([0-9.]+) dB, SSIM ([0-9.]+)"))) return -1.0;
  return std::stod(m[1]);
}

TEST(CliProject, ProjectsAndTunesAGeneratedImageAndPrintsTheTruePsnr) {
  const std::string dir = temp_dir();
  ASSERT_EQ(run("generate --model " + kData + "/tiny_sg2.pkl --seed 0 --psi 0.7 --out " + dir + "/target.png").exit_code, 0);
  const CommandResult r = run("project --model " + kData + "/tiny_sg2.pkl --image " + dir + "/target.png" +
                              " --schedule full --steps 150 --pti-steps 60 --perceptual none --threads 1 --out " + dir +
                              "/recon.png --out-latent " + dir + "/pivot.npy --out-model " + dir + "/tuned.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double projected = printed_psnr(r.output, "projection"), final_psnr = printed_psnr(r.output, "final");
  EXPECT_GT(projected, 19.5) << r.output;
  EXPECT_GT(final_psnr, 22.0) << r.output;
  EXPECT_GT(final_psnr, projected + 1.0) << r.output;

  // The number printed is the one anybody gets from the two PNGs.
  const torch::Tensor target = draggan::read_image(dir + "/target.png");
  const torch::Tensor recon = draggan::read_image(dir + "/recon.png");
  EXPECT_NEAR(draggan::psnr(recon, target), final_psnr, 0.01);

  // Tuned model + pivot latent are a pair `generate` (and `drag`) can start from.
  const torch::Tensor pivot = draggan::read_npy(dir + "/pivot.npy");
  EXPECT_EQ(pivot.sizes(), (std::vector<int64_t>{1, 10, 64}));
  const CommandResult again = run("generate --model " + dir + "/tuned.safetensors --latent " + dir +
                                  "/pivot.npy --out " + dir + "/again.png");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(draggan::read_image(dir + "/again.png").equal(recon));
}

// The default (fast) schedule with its default step counts; thresholds measured on the fixture like the test above.
TEST(CliProject, TheDefaultFastScheduleReconstructsAGeneratedImage) {
  const std::string dir = temp_dir();
  ASSERT_EQ(run("generate --model " + kData + "/tiny_sg2.pkl --seed 5 --out " + dir + "/fast_target.png").exit_code, 0);
  const CommandResult r = run("project --model " + kData + "/tiny_sg2.pkl --image " + dir + "/fast_target.png" +
                              " --threads 1 --out " + dir + "/fast_recon.png --out-latent " + dir +
                              "/fast_pivot.npy --out-model " + dir + "/fast_tuned.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("(fast schedule)"), std::string::npos) << r.output;
  const double projected = printed_psnr(r.output, "projection"), final_psnr = printed_psnr(r.output, "final");
  EXPECT_GT(projected, 15.0) << r.output;
  EXPECT_GT(final_psnr, projected) << r.output;
  EXPECT_NEAR(draggan::psnr(draggan::read_image(dir + "/fast_recon.png"), draggan::read_image(dir + "/fast_target.png")),
              final_psnr, 0.01);
}

// The default schedule on the shipped (trained) model, as a user runs it: its own image of seed 42 comes back to
// 37.7 dB after tuning (projected 27.3 dB; the earlier fast schedule gave 24.2 dB). Threshold ~4 dB under that.
TEST(CliProject, TheDefaultScheduleReconstructsTheShippedModelsOwnImage) {
  const std::string dir = temp_dir();
  const std::string model = " --model " + std::string(DRAGGAN_SOURCE_DIR) + "/models/default.safetensors";
  ASSERT_EQ(run("generate" + model + " --seed 42 --threads 1 --out " + dir + "/shipped_target.png").exit_code, 0);
  const CommandResult r = run("project" + model + " --image " + dir + "/shipped_target.png --threads 1 --out " + dir +
                              "/shipped_recon.png --out-latent " + dir + "/shipped_pivot.npy --out-model " + dir +
                              "/shipped_tuned.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double projected = printed_psnr(r.output, "projection"), final_psnr = printed_psnr(r.output, "final");
  EXPECT_GT(projected, 24.0) << r.output;
  EXPECT_GT(final_psnr, 34.0) << r.output;
  EXPECT_NEAR(draggan::psnr(draggan::read_image(dir + "/shipped_recon.png"),
                            draggan::read_image(dir + "/shipped_target.png")),
              final_psnr, 0.01);
}

// Odd but readable images fit the model (a 1x1 px photo, gray for an RGB model, RGB for a gray one); a header
// claiming 20000x20000 px is refused from its header, before anything is allocated for it.
TEST(CliProject, OddImagesFitAndHugeOnesAreRefusedByTheirHeader) {
  const std::string dir = temp_dir();
  const std::string quick = " --steps 4 --pti-steps 1 --threads 1 --out " + dir + "/odd.png --out-latent " + dir +
                            "/odd.npy --out-model " + dir + "/odd.safetensors";
  draggan::write_png(dir + "/one_pixel.png", torch::full({1, 1, 3}, 200, torch::kUInt8));
  draggan::write_png(dir + "/gray.png", torch::randint(0, 256, {40, 30, 1}, torch::kUInt8));
  draggan::write_png(dir + "/rgb.png", torch::randint(0, 256, {30, 40, 3}, torch::kUInt8));
  for (const std::string& image : {std::string("one_pixel.png"), std::string("gray.png")}) {
    const CommandResult r = run("project --model " + kData + "/tiny_sg2.pkl --image " + dir + "/" + image + quick);
    EXPECT_EQ(r.exit_code, 0) << image << ": " << r.output;
    const torch::Tensor fitted = draggan::read_image(dir + "/odd.png");
    EXPECT_EQ(fitted.size(0), fitted.size(1)) << image;  // the fixture's square
    EXPECT_EQ(fitted.size(2), 3) << image;
  }
  {
    // The shipped Fashion-MNIST model is grayscale.
    const CommandResult r = run("project --image " + dir + "/rgb.png" + quick);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(draggan::read_image(dir + "/odd.png").size(2), 1);
  }
  {
    std::string png = draggan::encode_png(torch::zeros({8, 8, 3}, torch::kUInt8));
    for (int offset : {16, 20}) {  // IHDR width and height, big-endian
      const uint32_t side = 20000;
      for (int b = 0; b < 4; ++b) png[offset + b] = static_cast<char>((side >> (24 - 8 * b)) & 0xff);
    }
    std::ofstream(dir + "/huge.png", std::ios::binary) << png;
    const CommandResult r = run("project --model " + kData + "/tiny_sg2.pkl --image " + dir + "/huge.png" + quick);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    // Refused from the header (by stb's own size check or ours), one line naming the file.
    EXPECT_NE(r.output.find("huge.png: "), std::string::npos) << r.output;
  }
  {
    const CommandResult r = run("project --model " + kData + "/tiny_sg2.pkl --image " + dir + "/gray.png --schedule quick" + quick);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("unknown inversion schedule 'quick'"), std::string::npos) << r.output;
  }
}

// The full schedule's auto perceptual term is the checkpoint's D; the fast one fits pixels unless asked.
TEST(CliProject, AutoPerceptualLossIsTheDiscriminatorOnlyForTheFullSchedule) {
  const std::string dir = temp_dir();
  ASSERT_EQ(run("generate --model " + kData + "/tiny_sg2.pkl --seed 1 --out " + dir + "/t1.png").exit_code, 0);
  const std::string common = "project --model " + kData + "/tiny_sg2.pkl --image " + dir + "/t1.png" +
                             " --steps 2 --pti-steps 1 --threads 1 --out " + dir + "/r1.png --out-latent " + dir +
                             "/p1.npy --out-model " + dir + "/m1.safetensors";
  const CommandResult full = run(common + " --schedule full");
  ASSERT_EQ(full.exit_code, 0) << full.output;
  EXPECT_NE(full.output.find("perceptual loss: discriminator"), std::string::npos) << full.output;
  const CommandResult fast = run(common);
  ASSERT_EQ(fast.exit_code, 0) << fast.output;
  EXPECT_NE(fast.output.find("perceptual loss: none"), std::string::npos) << fast.output;
  const CommandResult asked = run(common + " --perceptual discriminator");
  ASSERT_EQ(asked.exit_code, 0) << asked.output;
  EXPECT_NE(asked.output.find("perceptual loss: discriminator"), std::string::npos) << asked.output;
}

TEST(CliProject, UnreadableImagesFailWithOneLineNamingTheFile) {
  const std::string dir = temp_dir();
  const std::string model = " --model " + kData + "/tiny_sg2.pkl --steps 1 --pti-steps 0";
  {
    std::ofstream(dir + "/garbage.png", std::ios::binary) << "this is not an image at all";
    const CommandResult r = run("project --image " + dir + "/garbage.png" + model);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("garbage.png: not a readable image"), std::string::npos) << r.output;
  }
  {
    std::ofstream(dir + "/empty.jpg", std::ios::binary).flush();
    const CommandResult r = run("project --image " + dir + "/empty.jpg" + model);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("empty.jpg: empty file"), std::string::npos) << r.output;
  }
  {
    const CommandResult r = run("project --image " + dir + "/missing.png" + model);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("missing.png: no such image file"), std::string::npos) << r.output;
  }
  {
    // A PNG whose data was cut off after the header.
    const std::string png = draggan::encode_png(torch::full({32, 32, 3}, 7, torch::kUInt8));
    std::ofstream(dir + "/truncated.png", std::ios::binary) << png.substr(0, 60);
    const CommandResult r = run("project --image " + dir + "/truncated.png" + model);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("truncated.png"), std::string::npos) << r.output;
  }
  {
    const CommandResult r = run("project --image " + dir + "/garbage.png --space z" + model);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("unknown latent space 'z'"), std::string::npos) << r.output;
  }
}

}  // namespace cli_project_test
