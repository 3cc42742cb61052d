// `draggan eval`, `train-classifier` and recorded drag settings as a user runs them: eval on the fixture generator
// writes a report whose numbers repeat for a seed, a classifier trained by the project is used when given, model
// files carry the settings `drag` and `eval` start from, and bad input gives one clear line.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "CliCommand.h"
#include "draggan/eval/EvalSummary.h"
#include "draggan/io/Image.h"

namespace cli_eval_test {
namespace fs = std::filesystem;

using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;

const std::string kData = DRAGGAN_TEST_DATA;
const std::string kModel = kData + "/tiny_sg2.pkl";
// The fixture's radii and block (2 and 6 px on this 64-px model, block 3) and a step size that moves it.
const std::string kFixtureDrag = " --lr 0.01 --r1 16 --r2 48 --feature-block 3 --threads 1";

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("draggan_cli_eval_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f);
}

// Everything but the timings.
nlohmann::json without_times(nlohmann::json doc) {
  for (auto& d : doc["drags"]) d.erase("ms");
  for (auto& g : doc["summary"]) g.erase("seconds");
  return doc;
}

void write_gz(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string be32(int v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// Fashion-MNIST's four files, made up: 28x28 images whose label is which tenth of the rows holds a bright bar.
fs::path toy_fashion_mnist(const std::string& name, int train, int test) {
  const fs::path dir = temp_dir(name);
  for (auto [stem, n] : {std::pair<std::string, int>{"train", train}, {"t10k", test}}) {
    std::string images = std::string{0, 0, 8, 3} + be32(n) + be32(28) + be32(28);
    std::string labels = std::string{0, 0, 8, 1} + be32(n);
    for (int i = 0; i < n; ++i) {
      const int label = i % 10;
      std::string img(28 * 28, '\0');
      for (int r = 2 + 2 * label; r < 5 + 2 * label; ++r)
        for (int c = 4; c < 24; ++c) img[r * 28 + c] = static_cast<char>(200);
      images += img;
      labels.push_back(static_cast<char>(label));
    }
    write_gz(dir / (stem + "-images-idx3-ubyte.gz"), images);
    write_gz(dir / (stem + "-labels-idx1-ubyte.gz"), labels);
  }
  return dir;
}

TEST(CliEval, ReportOnTheFixtureGeneratorRepeatsForASeed) {
  const fs::path a = temp_dir("a"), b = temp_dir("b");
  const std::string base = "eval --model " + kModel + " --drags 6 --seed 3 --steps 12 --classifier none" + kFixtureDrag;
  CommandResult ra = run(base + " --report " + a.string() + " --json " + (a / "out.json").string());
  ASSERT_EQ(ra.exit_code, 0) << ra.output;
  CommandResult rb = run(base + " --json " + (b / "out.json").string());
  ASSERT_EQ(rb.exit_code, 0) << rb.output;
  EXPECT_NE(ra.output.find("reached"), std::string::npos) << ra.output;  // the summary table
  EXPECT_NE(ra.output.find("2pt+mask"), std::string::npos) << ra.output;

  const nlohmann::json doc = read_json(a / "out.json");
  EXPECT_EQ(read_json(a / "eval.json"), doc);
  nlohmann::json second = read_json(b / "out.json");
  // Without --report there are no image files; otherwise the same numbers.
  nlohmann::json first = without_times(doc);
  for (auto& d : first["drags"]) d["images"] = nullptr;
  EXPECT_EQ(without_times(second), first);

  ASSERT_EQ(doc["drags"].size(), 6u);
  EXPECT_EQ(doc["drag_params"]["r1_pixels"], 2);
  EXPECT_EQ(doc["drag_params"]["max_steps"], 12);
  const double stop = doc["drag_params"]["stop_distance"].get<double>();
  int reached = 0;
  for (const auto& d : doc["drags"]) {
    const size_t n = d["points"].get<size_t>();
    ASSERT_EQ(d["handles"].size(), n);
    ASSERT_EQ(d["final_handles"].size(), n);
    ASSERT_EQ(d["tracked_handles"].size(), n);
    EXPECT_LE(d["steps"].get<int>(), 12);
    // "reached" is recomputable from the JSON: every final handle within the stop distance of its target.
    bool all_within = true;
    for (size_t j = 0; j < n; ++j) {
      const double dx = d["final_handles"][j][0].get<double>() - d["targets"][j][0].get<double>();
      const double dy = d["final_handles"][j][1].get<double>() - d["targets"][j][1].get<double>();
      EXPECT_NEAR(std::hypot(dx, dy), d["engine_distances"][j].get<double>(), 1e-5);
      all_within = all_within && std::hypot(dx, dy) <= stop;
    }
    EXPECT_EQ(all_within, d["reached"].get<bool>());
    reached += all_within;
    EXPECT_TRUE(d["class_before"].is_null());
    for (const char* image : {"before", "after", "sheet"})
      EXPECT_TRUE(fs::exists(a / d["images"][image].get<std::string>())) << image;
    EXPECT_EQ(d["images"]["mask"].is_null(), !d["masked"].get<bool>());
    EXPECT_TRUE(d["psnr_outside"].is_number());
    EXPECT_TRUE(d["ssim_outside"].is_number());
  }
  EXPECT_DOUBLE_EQ(doc["summary"][0]["reached_rate"].get<double>(), reached / 6.0);
  EXPECT_TRUE(fs::exists(a / "index.html"));
  // The start image in the report is the generator's image for that seed.
  const torch::Tensor before = draggan::read_image((a / doc["drags"][0]["images"]["before"].get<std::string>()).string());
  CommandResult g = run("generate --model " + kModel + " --seed " + std::to_string(doc["drags"][0]["image_seed"].get<uint32_t>()) +
                        " --psi 0.7 --out " + (a / "seed.png").string());
  ASSERT_EQ(g.exit_code, 0) << g.output;
  EXPECT_TRUE(torch::equal(before, draggan::read_image((a / "seed.png").string())));
}

TEST(CliEval, TrainedClassifierReportsClassesBeforeAndAfter) {
  const fs::path data = toy_fashion_mnist("toy_fmnist", 300, 100), dir = temp_dir("cls");
  CommandResult t = run("train-classifier --data " + data.string() + " --out " + (dir / "c.safetensors").string() +
                        " --epochs 2 --width 4 --threads 1");
  ASSERT_EQ(t.exit_code, 0) << t.output;
  EXPECT_NE(t.output.find("test accuracy"), std::string::npos) << t.output;
  EXPECT_NE(t.output.find("moved 8 px"), std::string::npos) << t.output;
  // `classify --test-data` recomputes what training reported, centred and moved 2-8 px.
  CommandResult a = run("classify --json --threads 1 --classifier " + (dir / "c.safetensors").string() +
                        " --test-data " + data.string());
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const nlohmann::json accuracies = nlohmann::json::parse(a.output.substr(a.output.find('{')));
  EXPECT_EQ(accuracies["test_images"], 100);
  EXPECT_EQ(accuracies["shifted_test_accuracy"].size(), 4u);
  ASSERT_EQ(accuracies["shifted_test_agreement"].size(), 4u);
  for (const auto& [shift, agreement] : accuracies["shifted_test_agreement"].items())
    EXPECT_TRUE(agreement.get<double>() >= 0 && agreement.get<double>() <= 1) << shift;
  CommandResult e = run("eval --model " + kModel + " --drags 3 --steps 3 --classifier " +
                        (dir / "c.safetensors").string() + " --json " + (dir / "e.json").string() + kFixtureDrag);
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const nlohmann::json doc = read_json(dir / "e.json");
  EXPECT_EQ(doc["classifier"]["classes"].size(), 10u);
  EXPECT_NEAR(doc["classifier"]["test_accuracy"].get<double>(), accuracies["test_accuracy"].get<double>(),
              1e-6);
  int both = 0, sure = 0;
  for (const auto& d : doc["drags"]) {
    ASSERT_TRUE(d["class_before"].is_object()) << d;
    EXPECT_EQ(d["class_kept"].get<bool>(), d["class_before"]["label"] == d["class_after"]["label"]);
    both += d["class_kept"].get<bool>() && d["reached"].get<bool>();
    sure += d["class_before"]["probability"].get<double>() >= draggan::kSureStartProbability;
  }
  EXPECT_TRUE(doc["summary"][0]["class_kept_rate"].is_number());
  EXPECT_DOUBLE_EQ(doc["summary"][0]["reached_and_kept_rate"].get<double>(), both / 3.0);
  EXPECT_EQ(doc["summary"].back()["group"] == "sure start", sure > 0);
}

TEST(CliEval, RecordedDragSettingsAreWhatDragAndEvalStartFrom) {
  const fs::path dir = temp_dir("recorded");
  const std::string model = (dir / "m.safetensors").string();
  CommandResult c = run("convert " + kModel + " " + model +
                        " --drag-lr 0.02 --drag-space w --drag-layers 4 --drag-r1 16 --drag-r2 48"
                        " --drag-feature-block 3 --drag-max-steps 7 --drag-stop-distance 1.5 --drag-first-layer 1"
                        " --drag-reg-l2 0.5");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  CommandResult d = run("drag --model " + model + " --handle 22,30 --target 38,30 --threads 1 --out " +
                        (dir / "d.png").string() + " --trajectory " + (dir / "d.json").string());
  ASSERT_EQ(d.exit_code, 0) << d.output;
  const nlohmann::json traj = read_json(dir / "d.json");
  EXPECT_EQ(traj["space"], "w");
  EXPECT_EQ(traj["optimized_layers"], 4);
  EXPECT_EQ(traj["first_optimized_layer"], 1);
  EXPECT_DOUBLE_EQ(traj["reg_l2"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(traj["lr"].get<double>(), 0.02);
  EXPECT_EQ(traj["r1_pixels"], 2);
  EXPECT_DOUBLE_EQ(traj["stop_distance"].get<double>(), 1.5);
  EXPECT_EQ(traj["max_steps"], 7);
  EXPECT_LE(traj["steps"].size(), 7u);
  // Options given on the command line win.
  CommandResult e = run("eval --model " + model + " --drags 2 --steps 3 --space w+ --classifier none --json " +
                        (dir / "e.json").string() + " --threads 1");
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const nlohmann::json doc = read_json(dir / "e.json");
  EXPECT_EQ(doc["drag_params"]["space"], "w+");
  EXPECT_EQ(doc["drag_params"]["optimized_layers"], 4);
  EXPECT_EQ(doc["drag_params"]["first_optimized_layer"], 1);
  EXPECT_DOUBLE_EQ(doc["drag_params"]["reg_l2"].get<double>(), 0.5);
  EXPECT_EQ(doc["drag_params"]["max_steps"], 3);
  // A setting this generator cannot run is refused when recorded.
  CommandResult bad = run("convert " + kModel + " " + (dir / "bad.safetensors").string() + " --drag-feature-block 9");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("feature_block 9"), std::string::npos) << bad.output;
}

TEST(CliEval, BadInputExitsWithAClearMessage) {
  const std::string base = "eval --model " + kModel + " --classifier none";
  CommandResult r = run(base + " --drags 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--drags"), std::string::npos) << r.output;
  r = run("eval --model " + kModel + " --drags 1 --classifier /nonexistent/c.safetensors");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("/nonexistent/c.safetensors"), std::string::npos) << r.output;
  r = run(base + " --drags 1 --vgg /x/vgg.pth");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--lpips"), std::string::npos) << r.output;
  r = run("eval --model " + kModel + " --drags 1 --classifier " + kModel);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  r = run("train-classifier --data /nonexistent --out /tmp/x.safetensors");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("train-images-idx3-ubyte"), std::string::npos) << r.output;
  r = run("classify --test-data /nonexistent");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("t10k-images-idx3-ubyte"), std::string::npos) << r.output;
}

}  // namespace cli_eval_test
