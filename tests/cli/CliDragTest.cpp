// `draggan drag` and `draggan bench` as a user runs them: outputs, the trajectory JSON, and clean errors.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "CliCommand.h"
#include "draggan/io/Image.h"
#include "draggan/io/Npy.h"

namespace cli_drag_test {

const std::string kData = DRAGGAN_TEST_DATA;
const std::string kModel = kData + "/tiny_sg2.pkl";

using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_cli_drag_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// The fixture case drag1_lr01 ([row, col] 30,22 -> 30,38 in the README = x 22, y 30 -> x 38, y 30).
const std::string kDrag1 = "drag --model " + kModel +
                           " --seed 0 --psi 0.7 --handle 22,30 --target 38,30 --lr 0.01 --r1 16 --r2 48"
                           " --feature-block 3 --threads 1";

TEST(CliDrag, WritesImageTrajectoryAndLatent) {
  const std::string dir = temp_dir();
  CommandResult r = run(kDrag1 + " --steps 10 --out " + dir + "/final.png --trajectory " + dir + "/traj.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream f(dir + "/traj.json");
  nlohmann::json traj = nlohmann::json::parse(f);
  ASSERT_EQ(traj["steps"].size(), 10u);
  torch::Tensor handles = draggan::read_npy(kData + "/drag1_lr01_handles.npy");
  for (int k = 0; k < 10; ++k) {
    const auto& step = traj["steps"][k];
    EXPECT_EQ(step["step"].get<int>(), k);
    ASSERT_EQ(step["handles"].size(), 1u);
    // [x, y] = [col, row] of the official trajectory
    EXPECT_EQ(step["handles"][0][0].get<double>(), handles[k][0][1].item<int64_t>()) << "step " << k;
    EXPECT_EQ(step["handles"][0][1].get<double>(), handles[k][0][0].item<int64_t>()) << "step " << k;
    EXPECT_TRUE(step["loss"].is_number());
    EXPECT_GT(step["ms"].get<double>(), 0.0);
  }
  const std::string latent = traj["latent"].get<std::string>();
  torch::Tensor w = draggan::read_npy(latent);
  torch::Tensor w_ref = draggan::read_npy(kData + "/drag1_lr01_ws.npy")[10];
  EXPECT_LE((w[0] - w_ref).abs().max().item<double>(), 1e-4);
  torch::Tensor png = draggan::read_image(dir + "/final.png");
  torch::Tensor expected = draggan::read_npy(kData + "/drag1_lr01_img_final_uint8.npy");
  EXPECT_LE((png.to(torch::kInt32) - expected.to(torch::kInt32)).abs().max().item<int>(), 1);
}

TEST(CliDrag, WritesAnAnimationAndFrames) {
  const std::string dir = temp_dir();
  CommandResult r = run(kDrag1 + " --steps 3 --out " + dir + "/a.png --video " + dir + "/drag.gif");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream gif(dir + "/drag.gif", std::ios::binary);
  std::string head(6, '\0');
  gif.read(head.data(), 6);
  EXPECT_EQ(head, "GIF89a");
  r = run(kDrag1 + " --steps 3 --out " + dir + "/b.png --frames " + dir + "/frames");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir + "/frames/frame_0003.png"));  // 3 steps + the final image
  torch::Tensor frame = draggan::read_image(dir + "/frames/frame_0000.png");
  // The handle (x 22, y 30) is drawn in red.
  EXPECT_EQ(frame[30][22][0].item<uint8_t>(), 255);
  EXPECT_EQ(frame[30][22][2].item<uint8_t>(), 0);
}

TEST(CliDrag, MaskFromAPaintedImage) {
  const std::string dir = temp_dir();
  // Movable disc painted white, the rest black: the README's drag_mask case.
  torch::Tensor mask = draggan::read_npy(kData + "/drag_mask_lr01_mask.npy");  // 1 = keep fixed
  torch::Tensor painted = ((1 - mask) * 255).to(torch::kUInt8).unsqueeze(2).expand({-1, -1, 3}).contiguous();
  draggan::write_png(dir + "/mask.png", painted);
  CommandResult r = run("drag --model " + kModel + " --handle 24,28 --target 36,36 --lr 0.01 --r1 16 --r2 48"
                        " --feature-block 3 --steps 10 --threads 1 --mask " + dir + "/mask.png --out " + dir +
                        "/m.png --trajectory " + dir + "/m.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream f(dir + "/m.json");
  nlohmann::json traj = nlohmann::json::parse(f);
  torch::Tensor handles = draggan::read_npy(kData + "/drag_mask_lr01_handles.npy");
  torch::Tensor loss = draggan::read_npy(kData + "/drag_mask_lr01_loss.npy");
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(traj["steps"][k]["handles"][0][1].get<double>(), handles[k][0][0].item<int64_t>()) << k;
    EXPECT_NEAR(traj["steps"][k]["loss"].get<double>(), loss[k].item<double>(), 1e-4 * loss[k].item<double>());
  }
}

TEST(CliDrag, BadInputExitsWithAClearMessage) {
  const std::string base = "drag --model " + kModel + " --out " + temp_dir() + "/x.png";
  CommandResult r = run(base + " --handle 70,10 --target 10,10");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("outside"), std::string::npos) << r.output;
  r = run(base);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--handle"), std::string::npos) << r.output;
  r = run(base + " --handle 10,10 --target 20,20 --lr nan");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("lr"), std::string::npos) << r.output;
  r = run(base + " --handle 10,10");
  EXPECT_NE(r.exit_code, 0);
  r = run(base + " --handle '10;10' --target 20,20");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("X,Y"), std::string::npos) << r.output;
  const std::string small = temp_dir() + "/small_mask.png";
  draggan::write_png(small, torch::zeros({32, 32, 3}, torch::kUInt8));
  r = run(base + " --handle 10,10 --target 20,20 --mask " + small);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("32x32"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
}

TEST(CliBench, PrintsOneJsonObject) {
  CommandResult r = run("bench --model " + kModel + " --steps 3 --warmup 1 --json --threads 1 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = nlohmann::json::parse(r.output);
  for (const char* key : {"ms_per_step", "steps_per_s", "peak_rss_mb", "naive_ms_per_step"})
    EXPECT_TRUE(j.contains(key) && j[key].is_number()) << key;
}

}  // namespace cli_drag_test
