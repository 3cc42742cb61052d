// `draggan train` as a user runs it: a short CPU run on a tiny folder writes checkpoints and sample grids,
// losses stay finite, the checkpoint is a model the other subcommands load, and --resume repeats the
// uninterrupted run bit for bit. Bad input gives one clear line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "CliCommand.h"
#include "draggan/io/Image.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/Safetensors.h"

namespace cli_train_test {
namespace fs = std::filesystem;


using ::draggan::cli_test::CommandResult;
using ::draggan::cli_test::run;

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("draggan_train_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Eight 16x16 gray images: bright squares at different places.
fs::path tiny_dataset() {
  fs::path dir = temp_dir("data");
  for (int i = 0; i < 8; ++i) {
    torch::Tensor img = torch::zeros({16, 16, 1}, torch::kUInt8);
    img.index_put_({torch::indexing::Slice(i, i + 6), torch::indexing::Slice(8 - i / 2, 14 - i / 2)}, 220);
    draggan::write_png((dir / ("img" + std::to_string(i) + ".png")).string(), img);
  }
  return dir;
}

// A small network and batch 4: 17 iterations (one R1 step at 0 and one at 16) take a few seconds.
const std::string kSmall =
    " --resolution 16 --channels 1 --batch 4 --cbase 256 --cmax 16 --z-dim 16 --w-dim 16 --mapping-layers 2"
    " --grid 2 --threads 2 --seed 7";

TEST(CliTrain, TrainsWritesCheckpointsAndResumesExactly) {
  const fs::path data = tiny_dataset();
  const fs::path full = temp_dir("full"), resumed = temp_dir("resumed");
  // 0.064 kimg = 16 iterations of 4 images: a snapshot there, the next one after iteration 17.
  CommandResult a = run("train --data " + data.string() + " --out " + full.string() + kSmall +
                        " --kimg 0.068 --snap-kimg 0.064");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_EQ(a.output.find("nan"), std::string::npos) << a.output;
  EXPECT_EQ(a.output.find("non-finite"), std::string::npos) << a.output;
  const fs::path mid = full / "snapshot-000000.064kimg.safetensors";
  const fs::path end = full / "snapshot-000000.068kimg.safetensors";
  ASSERT_TRUE(fs::exists(mid)) << a.output;
  ASSERT_TRUE(fs::exists(end)) << a.output;
  EXPECT_TRUE(fs::exists(full / "snapshot-000000.068kimg.png"));
  EXPECT_EQ(draggan::read_image((full / "snapshot-000000.068kimg.png").string()).sizes(),
            (torch::IntArrayRef{32, 32, 1}));

  // The checkpoint is a model: G_ema and the generator config load like any model file.
  draggan::LoadedModel model = draggan::load_model(end.string());
  EXPECT_EQ(model.generator->image_shape().height, 16);
  EXPECT_FALSE(model.discriminator.empty());

  CommandResult b = run("train --data " + data.string() + " --out " + resumed.string() + kSmall +
                        " --kimg 0.068 --snap-kimg 0.064 --resume " + mid.string());
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const fs::path end_resumed = resumed / "snapshot-000000.068kimg.safetensors";
  ASSERT_TRUE(fs::exists(end_resumed)) << b.output;
  draggan::SafetensorsFile x = draggan::read_safetensors(end.string());
  draggan::SafetensorsFile y = draggan::read_safetensors(end_resumed.string());
  ASSERT_EQ(x.tensors.size(), y.tensors.size());
  for (const auto& [name, t] : x.tensors) {
    ASSERT_TRUE(y.tensors.count(name)) << name;
    EXPECT_TRUE(torch::equal(t, y.tensors.at(name))) << name << " differs after resume";
  }
  EXPECT_EQ(x.metadata.at("training_state"), y.metadata.at("training_state"));

  // Resuming at another resolution is refused with a clear message.
  CommandResult c = run("train --data " + data.string() + " --out " + resumed.string() +
                        " --resolution 32 --kimg 1 --resume " + mid.string());
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.output.find("--resolution 32 does not match"), std::string::npos) << c.output;

  // Fine-tuning on shifted and bent real images: --real-shift and --real-warp override the checkpoint's and
  // are recorded.
  const fs::path shifted = temp_dir("shifted");
  CommandResult d =
      run("train --data " + data.string() + " --out " + shifted.string() + kSmall +
          " --kimg 0.068 --snap-kimg 0.064 --real-shift 3 --real-warp 1.5 --resume " + mid.string());
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_NE(d.output.find("real images shifted up to 3 px, real images bent up to 1.5 px"), std::string::npos)
      << d.output;
  draggan::SafetensorsFile z =
      draggan::read_safetensors((shifted / "snapshot-000000.068kimg.safetensors").string());
  EXPECT_NE(z.metadata.at("train_config").find("\"real_shift\":3"), std::string::npos)
      << z.metadata.at("train_config");
  EXPECT_NE(z.metadata.at("train_config").find("\"real_warp\":1.5"), std::string::npos)
      << z.metadata.at("train_config");
  EXPECT_FALSE(torch::equal(x.tensors.at("G.synthesis.b16.conv1.weight"),
                            z.tensors.at("G.synthesis.b16.conv1.weight")));

  CommandResult e = run("train --data " + data.string() + " --out " + shifted.string() + kSmall +
                        " --kimg 0.068 --real-shift 8");
  EXPECT_NE(e.exit_code, 0);
  EXPECT_NE(e.output.find("--real-shift must be in 0..7"), std::string::npos) << e.output;
  CommandResult f = run("train --data " + data.string() + " --out " + shifted.string() + kSmall +
                        " --kimg 0.068 --real-warp 5");
  EXPECT_NE(f.exit_code, 0);
  EXPECT_NE(f.output.find("--real-warp must be in 0..4"), std::string::npos) << f.output;
}

// The largest difference between the tensors two files share under `prefix_a` and `prefix_b`.
double max_difference(const draggan::SafetensorsFile& a, const std::string& prefix_a,
                      const draggan::SafetensorsFile& b, const std::string& prefix_b) {
  double worst = 0;
  int compared = 0;
  for (const auto& [name, t] : a.tensors) {
    if (name.rfind(prefix_a, 0) != 0) continue;
    const std::string other = prefix_b + name.substr(prefix_a.size());
    if (!b.tensors.count(other)) continue;
    worst = std::max(
        worst, (t.to(torch::kFloat64) - b.tensors.at(other).to(torch::kFloat64)).abs().max().item<double>());
    ++compared;
  }
  EXPECT_GT(compared, 10) << prefix_a << " vs " << prefix_b;
  return worst;
}

TEST(CliTrain, FineTunesAModelFileWithPathLengthRegularisation) {
  const fs::path data = tiny_dataset();
  const fs::path base = temp_dir("base"), tuned = temp_dir("tuned"), step = temp_dir("step"),
                 again = temp_dir("again");
  ASSERT_EQ(
      run("train --data " + data.string() + " --out " + base.string() + kSmall + " --kimg 0.064").exit_code,
      0);
  const fs::path model = base / "snapshot-000000.064kimg.safetensors";
  ASSERT_TRUE(fs::exists(model));

  // --init takes the network shapes from the model; only the run's own settings are given.
  const std::string run_flags = " --batch 4 --grid 2 --threads 2 --seed 7 --pl-weight 2";
  CommandResult a = run("train --init " + model.string() + " --data " + data.string() + " --out " +
                        tuned.string() + run_flags + " --kimg 0.068 --snap-kimg 0.064");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  EXPECT_NE(a.output.find("fine-tuning " + model.string()), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("path-length weight 2"), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("  pl "), std::string::npos) << a.output;
  EXPECT_EQ(a.output.find("nan"), std::string::npos) << a.output;
  const fs::path tuned_mid = tuned / "snapshot-000000.064kimg.safetensors";
  const fs::path tuned_end = tuned / "snapshot-000000.068kimg.safetensors";
  ASSERT_TRUE(fs::exists(tuned_mid)) << a.output;
  ASSERT_TRUE(fs::exists(tuned_end)) << a.output;
  draggan::SafetensorsFile end = draggan::read_safetensors(tuned_end.string());
  EXPECT_NE(end.metadata.at("train_config").find("\"pl_weight\":2"), std::string::npos)
      << end.metadata.at("train_config");
  const nlohmann::json state = nlohmann::json::parse(end.metadata.at("training_state"));
  EXPECT_EQ(state.at("iteration"), 17);  // kimg counted from 0
  ASSERT_TRUE(state.at("pl_mean").is_number()) << state.dump();
  EXPECT_GT(state.at("pl_mean").get<double>(), 0.0);
  EXPECT_EQ(end.metadata.at("generator_config"),
            draggan::read_safetensors(model.string()).metadata.at("generator_config"));

  // It starts from the model: after one iteration (a G step and a path-length step of lr 0.002 each) G and D
  // are within a few steps of the model's G_ema and D, which a fresh network is nowhere near.
  CommandResult b = run("train --init " + model.string() + " --data " + data.string() + " --out " +
                        step.string() + run_flags + " --kimg 0.004");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const draggan::SafetensorsFile one =
      draggan::read_safetensors((step / "snapshot-000000.004kimg.safetensors").string());
  const draggan::SafetensorsFile source = draggan::read_safetensors(model.string());
  EXPECT_LT(max_difference(one, "G.synthesis.", source, "G_ema.synthesis."), 0.02);
  EXPECT_LT(max_difference(one, "D.", source, "D."), 0.02);
  const fs::path fresh_dir = temp_dir("fresh");
  std::string other_seed = kSmall;
  other_seed.replace(other_seed.find("--seed 7"), 8, "--seed 8");
  ASSERT_EQ(
      run("train --data " + data.string() + " --out " + fresh_dir.string() + other_seed + " --kimg 0.004")
          .exit_code,
      0);
  const draggan::SafetensorsFile fresh =
      draggan::read_safetensors((fresh_dir / "snapshot-000000.004kimg.safetensors").string());
  EXPECT_GT(max_difference(fresh, "G.synthesis.", source, "G_ema.synthesis."), 0.1);

  // The running mean path length is part of the checkpoint: resuming repeats the run bit for bit.
  CommandResult c = run("train --resume " + tuned_mid.string() + " --data " + data.string() + " --out " +
                        again.string() + " --threads 2 --kimg 0.068 --snap-kimg 0.064");
  ASSERT_EQ(c.exit_code, 0) << c.output;
  draggan::SafetensorsFile resumed =
      draggan::read_safetensors((again / "snapshot-000000.068kimg.safetensors").string());
  for (const auto& [name, t] : end.tensors) EXPECT_TRUE(torch::equal(t, resumed.tensors.at(name))) << name;
  EXPECT_EQ(end.metadata.at("training_state"), resumed.metadata.at("training_state"));

  // The shapes are the model's; --init with a shape option, with --resume, or of another family is refused.
  CommandResult d = run("train --init " + model.string() + " --data " + data.string() + " --out " +
                        step.string() + " --cbase 512 --kimg 0.004");
  EXPECT_NE(d.exit_code, 0);
  EXPECT_NE(d.output.find("--cbase excludes --init"), std::string::npos) << d.output;
  CommandResult e = run("train --init " + model.string() + " --resume " + tuned_mid.string() + " --data " +
                        data.string() + " --out " + step.string() + " --kimg 0.004");
  EXPECT_NE(e.exit_code, 0);
  EXPECT_NE(e.output.find("excludes"), std::string::npos) << e.output;
  const std::string sg3 = std::string(DRAGGAN_TEST_DATA) + "/formats/stylegan3_t/stylegan3-t-tiny-64x64.pkl";
  CommandResult f =
      run("train --init " + sg3 + " --data " + data.string() + " --out " + step.string() + " --kimg 0.004");
  EXPECT_NE(f.exit_code, 0);
  EXPECT_NE(f.output.find("train fine-tunes StyleGAN2 generators"), std::string::npos) << f.output;
  CommandResult g =
      run("train --data " + data.string() + " --out " + step.string() + kSmall + " --pl-weight -1");
  EXPECT_NE(g.exit_code, 0);
  EXPECT_NE(g.output.find("--pl-weight must be in 0..100"), std::string::npos) << g.output;
}

TEST(CliTrain, ClearErrorsForBadData) {
  const fs::path empty = temp_dir("empty"), out = temp_dir("out");
  CommandResult r = run("train --data " + empty.string() + " --out " + out.string() + kSmall);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no images found"), std::string::npos) << r.output;

  const fs::path broken = temp_dir("broken");
  std::FILE* f = std::fopen((broken / "photo.jpg").c_str(), "wb");
  std::fputs("not really a jpeg", f);
  std::fclose(f);
  r = run("train --data " + broken.string() + " --out " + out.string() + kSmall);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("photo.jpg"), std::string::npos) << r.output;
}

}  // namespace cli_train_test
