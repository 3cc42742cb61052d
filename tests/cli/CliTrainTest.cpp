// `draggan train` as a user runs it: a short CPU run on a tiny folder writes checkpoints and sample grids,
// losses stay finite, the checkpoint is a model the other subcommands load, and --resume repeats the
// uninterrupted run bit for bit. Bad input gives one clear line.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "CliCommand.h"
#include "draggan/io/Image.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/Safetensors.h"

namespace {
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

}  // namespace
