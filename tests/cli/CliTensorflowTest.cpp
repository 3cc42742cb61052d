// The whole product on a TensorFlow StyleGAN2 pickle (the official fixture tests/data/formats/tf_stylegan2),
// as a user runs it: info, generate, convert (and every command on the converted file), drag, project,
// bench, serve; and a broken TF pickle failing with one line.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "CliCommand.h"
#include "draggan/io/Image.h"
#include "draggan/io/Npy.h"

namespace cli_tensorflow_test {

using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;
using namespace std::chrono_literals;

const std::string kFixture = std::string(DRAGGAN_TEST_DATA) + "/formats/tf_stylegan2";
const std::string kModel = kFixture + "/stylegan2-tiny64-tf-config-f.pkl";

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_cli_tf_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// The files the tests write go away with the test program.
struct RemoveTempDir : ::testing::Environment {
  void TearDown() override { std::filesystem::remove_all(temp_dir()); }
};
[[maybe_unused]] const auto* const kRemoveTempDir = ::testing::AddGlobalTestEnvironment(new RemoveTempDir);

torch::Tensor fixture(const std::string& name) { return draggan::read_npy(kFixture + "/" + name + ".npy"); }

int max_uint8_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a.to(torch::kInt32) - b.to(torch::kInt32)).abs().max().item<int>();
}

// The safetensors file `convert` makes of the fixture, made once per run.
const std::string& converted() {
  static const std::string path = [] {
    const std::string out = temp_dir() + "/tf_converted.safetensors";
    const CommandResult r = run("convert " + kModel + " " + out);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return out;
  }();
  return path;
}

TEST(CliTensorflow, InfoSaysItIsATensorflowPickle) {
  const CommandResult text = run("info " + kModel);
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("(tensorflow-pkl)"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("TensorFlow StyleGAN2 network pickle"), std::string::npos) << text.output;

  const CommandResult r = run("info " + kModel + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["format"], "tensorflow-pkl");
  EXPECT_EQ(j["generator"]["channel_base"], 1024);
  EXPECT_EQ(j["num_ws"], 10);
  EXPECT_TRUE(j["has_discriminator"].get<bool>());
}

TEST(CliTensorflow, GenerateWritesTheOfficialImageForEachSeed) {
  for (int seed = 0; seed < 3; ++seed) {
    const std::string s = std::to_string(seed);
    const std::string out = temp_dir() + "/seed" + s + ".png", w_out = temp_dir() + "/seed" + s + ".npy";
    const CommandResult r = run("generate --model " + kModel + " --seed " + s + " --psi 0.7 --out " + out +
                                " --w-out " + w_out + " --threads 1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_LE(max_uint8_diff(draggan::read_image(out), fixture("seed" + s + "_img_psi07_uint8")), 1)
        << "seed " << s;
    EXPECT_LE((draggan::read_npy(w_out) - fixture("seed" + s + "_w_psi07")).abs().max().item<double>(), 1e-6);
  }
}

TEST(CliTensorflow, ConvertedFileGeneratesTheSameImageAndDescribesItself) {
  const std::string a = temp_dir() + "/pkl.png", b = temp_dir() + "/st.png";
  ASSERT_EQ(run("generate --model " + kModel + " --seed 2 --out " + a).exit_code, 0);
  ASSERT_EQ(run("generate --model " + converted() + " --seed 2 --out " + b).exit_code, 0);
  EXPECT_TRUE(torch::equal(draggan::read_image(a), draggan::read_image(b)));
  const CommandResult info = run("info " + converted() + " --json");
  ASSERT_EQ(info.exit_code, 0) << info.output;
  const auto j = nlohmann::json::parse(info.output.substr(info.output.find('{')));
  EXPECT_EQ(j["format"], "safetensors");
  EXPECT_TRUE(j["has_discriminator"].get<bool>());
}

// drag2 of the fixture: [row, col] 20,20 -> 26,30 and 44,42 -> 38,30 = x,y 20,20 -> 30,26 and 42,44 -> 30,38.
std::string drag2_command(const std::string& model) {
  return "drag --model " + model +
         " --seed 0 --psi 0.7 --handle 20,20 --target 30,26 --handle 42,44 --target 30,38 --lr 0.01 --r1 16"
         " --r2 48 --feature-block 3 --steps 10 --threads 1";
}

void expect_official_drag2(const std::string& model, const std::string& name) {
  const std::string dir = temp_dir();
  const CommandResult r = run(drag2_command(model) + " --out " + dir + "/" + name + ".png --trajectory " +
                              dir + "/" + name + ".json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream f(dir + "/" + name + ".json");
  const nlohmann::json traj = nlohmann::json::parse(f);
  const torch::Tensor handles = fixture("drag2_handles");
  ASSERT_EQ(traj["steps"].size(), 10u);
  for (int k = 0; k < 10; ++k)
    for (int j = 0; j < 2; ++j) {
      const auto& h = traj["steps"][k]["handles"][j];
      EXPECT_EQ(h[0].get<double>(), handles[k][j][1].item<int64_t>())
          << name << " step " << k << " handle " << j;
      EXPECT_EQ(h[1].get<double>(), handles[k][j][0].item<int64_t>())
          << name << " step " << k << " handle " << j;
    }
  EXPECT_LE(max_uint8_diff(draggan::read_image(dir + "/" + name + ".png"), fixture("drag2_img_final_uint8")),
            1);
}

TEST(CliTensorflow, DragFollowsTheOfficialTrajectoryFromThePickleAndFromItsConversion) {
  expect_official_drag2(kModel, "drag_pkl");
  expect_official_drag2(converted(), "drag_st");
}

TEST(CliTensorflow, ProjectUsesTheConvertedDiscriminatorAndTunes) {
  const std::string dir = temp_dir();
  ASSERT_EQ(run("generate --model " + kModel + " --seed 1 --out " + dir + "/target.png").exit_code, 0);
  const CommandResult r =
      run("project --model " + kModel + " --image " + dir + "/target.png" +
          " --steps 20 --pti-steps 10 --perceptual discriminator --threads 1 --out " + dir + "/recon.png --out-latent " + dir +
          "/pivot.npy --out-model " + dir + "/tuned.safetensors");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("perceptual loss: discriminator"), std::string::npos) << r.output;
  EXPECT_EQ(draggan::read_npy(dir + "/pivot.npy").sizes(), (std::vector<int64_t>{1, 10, 64}));
  const CommandResult again = run("generate --model " + dir + "/tuned.safetensors --latent " + dir +
                                  "/pivot.npy --out " + dir + "/again.png");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(draggan::read_image(dir + "/again.png").equal(draggan::read_image(dir + "/recon.png")));
}

TEST(CliTensorflow, BenchRunsOnThePickle) {
  const CommandResult r = run("bench --model " + kModel + " --steps 2 --warmup 1 --json --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  EXPECT_EQ(j["img_resolution"], 64);
  EXPECT_GT(j["ms_per_step"].get<double>(), 0.0);
}

TEST(CliTensorflow, ServeListsAndDragsTheTensorflowModel) {
  const std::string dir = temp_dir() + "/models";
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(kModel, dir + "/cat-tf.pkl", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(converted(), dir + "/cat-converted.safetensors",
                             std::filesystem::copy_options::overwrite_existing);
  const std::string log = temp_dir() + "/serve.log";
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(DRAGGAN_BINARY, DRAGGAN_BINARY, "serve", "--models", dir.c_str(), "--port", "0", "--threads", "1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  struct Stop {  // the server goes away however the test ends
    pid_t pid;
    ~Stop() {
      kill(pid, SIGTERM);
      for (int i = 0; i < 100; ++i, std::this_thread::sleep_for(100ms))
        if (waitpid(pid, nullptr, WNOHANG) == pid) return;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } stop{pid};
  int port = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 120s;
       !port && std::chrono::steady_clock::now() < deadline;) {
    std::ifstream in(log);
    const std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch m;
    if (std::regex_search(out, m, std::regex(R"(http://127\.0\.0\.1:(\d+)/)"))) port = std::stoi(m[1]);
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_GT(port, 0) << "no URL from draggan serve";

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(120, 0);
  auto models = client.Get("/api/models");
  ASSERT_TRUE(models);
  EXPECT_NE(models->body.find("cat-tf"), std::string::npos) << models->body;
  EXPECT_NE(models->body.find("cat-converted"), std::string::npos) << models->body;
  for (const std::string id : {"cat-tf", "cat-converted"}) {
    auto created = client.Post(
        "/api/sessions", nlohmann::json{{"model", id}, {"seed", 0}, {"psi", 0.7}}.dump(), "application/json");
    ASSERT_TRUE(created);
    ASSERT_EQ(created->status, 201) << created->body;
    const std::string session = nlohmann::json::parse(created->body)["id"];
    auto png = client.Get(("/api/sessions/" + session + "/image.png").c_str());
    ASSERT_TRUE(png);
    EXPECT_LE(max_uint8_diff(draggan::decode_image(png->body, id), fixture("seed0_img_psi07_uint8")), 1)
        << id;
  }
}

TEST(CliTensorflow, ABrokenPickleFailsWithOneLineNamingFileAndOffset) {
  std::ifstream in(kModel, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = temp_dir() + "/cut.pkl";
  std::ofstream(cut, std::ios::binary).write(bytes.data(), 200000);
  const CommandResult r = run("generate --model " + cut + " --seed 0 --out " + temp_dir() + "/never.png");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find(cut + ": offset "), std::string::npos) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
}

}  // namespace cli_tensorflow_test
