// `draggan train` split across ranks equals one process with the whole batch: 2 ranks x 4 images against
// 1 process x 8, started with explicit options and with torchrun, and resumed with another world size.
// Everything a batch mixes is exercised: minibatch-stddev groups, lazy R1 (iteration 0), ADA's adjustment
// (iteration 3), the path-length regulariser (iterations 0 and 4) and W's running average.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "RankProcesses.h"
#include "draggan/io/Image.h"
#include "draggan/io/Safetensors.h"

namespace dist_train_test {

using namespace draggan::dist_test;
using namespace std::chrono_literals;

// The stated tolerance: a split batch sums its gradients in another order (per rank, then over the ranks), so
// the runs differ in float rounding only; after 6 iterations every tensor of G, G_ema, D and the optimisers
// stays within this (absolute, on values of order 1) of the one-process run (measured: 1.9e-6 at most, in
// G_ema's mapping weights). A mistake in what a rank draws or which samples it groups moves tensors by orders
// of magnitude more (1e-3 and up).
constexpr double kTolerance = 2e-5;

// Eight 16x16 gray images: bright squares at different places.
fs::path tiny_dataset(const fs::path& dir) {
  for (int i = 0; i < 8; ++i) {
    torch::Tensor img = torch::zeros({16, 16, 1}, torch::kUInt8);
    img.index_put_({torch::indexing::Slice(i, i + 6), torch::indexing::Slice(8 - i / 2, 14 - i / 2)}, 220);
    draggan::write_png((dir / ("img" + std::to_string(i) + ".png")).string(), img);
  }
  return dir;
}

// 6 iterations of 8 images (0.048 kimg), a snapshot after 3; the path-length regulariser on, ADA on.
std::string train_args(const fs::path& data, const fs::path& out) {
  return "train --data " + data.string() + " --out " + out.string() +
         " --resolution 16 --channels 1 --batch 8 --cbase 256 --cmax 16 --z-dim 16 --w-dim 16 "
         "--mapping-layers 2"
         " --grid 2 --threads 1 --seed 5 --pl-weight 2 --real-shift 2 --real-warp 1 --kimg 0.048 --snap-kimg "
         "0.024";
}

const char* kMid = "snapshot-000000.024kimg.safetensors";
const char* kEnd = "snapshot-000000.048kimg.safetensors";

void expect_same_run(const fs::path& expected, const fs::path& actual) {
  ASSERT_TRUE(fs::exists(actual)) << actual;
  const draggan::SafetensorsFile x = draggan::read_safetensors(expected.string());
  const draggan::SafetensorsFile y = draggan::read_safetensors(actual.string());
  ASSERT_EQ(x.tensors.size(), y.tensors.size());
  double worst = 0;
  std::string worst_name;
  for (const auto& [name, t] : x.tensors) {
    ASSERT_TRUE(y.tensors.count(name)) << name;
    const double d =
        (t.to(torch::kFloat64) - y.tensors.at(name).to(torch::kFloat64)).abs().max().item<double>();
    if (d > worst) worst = d, worst_name = name;
  }
  EXPECT_LE(worst, kTolerance) << "largest difference in " << worst_name;
  const auto a = nlohmann::json::parse(x.metadata.at("training_state"));
  const auto b = nlohmann::json::parse(y.metadata.at("training_state"));
  EXPECT_EQ(a["iteration"], b["iteration"]);
  EXPECT_EQ(a["opt_G_step"], b["opt_G_step"]);
  EXPECT_EQ(a["ada_sign_count"], b["ada_sign_count"]);
  EXPECT_EQ(a["ada_sign_sum"], b["ada_sign_sum"]);
  EXPECT_DOUBLE_EQ(a["ada_p"].get<double>(), b["ada_p"].get<double>());
  EXPECT_NEAR(a["pl_mean"].get<double>(), b["pl_mean"].get<double>(), 1e-5);
  EXPECT_EQ(x.metadata.at("train_config"), y.metadata.at("train_config"));
}

class DistTrain : public ::testing::Test {
 protected:
  // One process, the whole batch: the run every split one is compared with.
  static void SetUpTestSuite() {
    data_ = new fs::path(tiny_dataset(temp_dir("data")));
    single_ = new fs::path(temp_dir("single"));
    Processes p;
    p.start(draggan_command(train_args(*data_, *single_)), {}, *single_ / "log.txt");
    const auto code = p.wait(0, 300s);
    ASSERT_TRUE(code.has_value() && *code == 0) << p.all_output();
  }
  static void TearDownTestSuite() {
    delete data_;
    delete single_;
  }
  static fs::path* data_;
  static fs::path* single_;
};
fs::path* DistTrain::data_ = nullptr;
fs::path* DistTrain::single_ = nullptr;

TEST_F(DistTrain, TwoRanksWithExplicitOptionsEqualOneProcessWithTheWholeBatch) {
  ASSERT_TRUE(fs::exists(*single_ / kEnd));
  const fs::path out = temp_dir("explicit");
  const std::string group =
      " --world-size 2 --master-addr 127.0.0.1 --master-port " + std::to_string(free_port());
  Processes p;
  for (int r = 0; r < 2; ++r)
    p.start(draggan_command(train_args(*data_, out) + group + " --rank " + std::to_string(r)), {},
            out / ("rank" + std::to_string(r) + ".txt"));
  ASSERT_TRUE(p.wait_all(300s)) << p.all_output();
  ASSERT_EQ(p[0].exit_code, 0) << p.all_output();
  ASSERT_EQ(p[1].exit_code, 0) << p.all_output();
  expect_same_run(*single_ / kMid, out / kMid);
  expect_same_run(*single_ / kEnd, out / kEnd);
  // Rank 0 alone writes snapshots and logs; rank 1 has no log while all is well.
  EXPECT_NE(p.output(0).find("wrote "), std::string::npos) << p.output(0);
  EXPECT_EQ(p.output(1).find("[info]"), std::string::npos) << p.output(1);
}

TEST_F(DistTrain, TorchrunRanksResumeAOneProcessSnapshot) {
  if (!have_torchrun()) GTEST_SKIP() << "no /usr/bin/torchrun (Debian's python3-torch)";
  // The one-process run's snapshot after 3 iterations, continued by 2 ranks: the same end as without the
  // stop.
  const fs::path out = temp_dir("torchrun");
  Processes p;
  p.start(torchrun_command("--standalone --nproc_per_node 2",
                           train_args(*data_, out) + " --resume " + (*single_ / kMid).string()),
          {}, out / "torchrun.txt");
  const auto code = p.wait(0, 300s);
  ASSERT_TRUE(code.has_value()) << p.all_output();
  ASSERT_EQ(*code, 0) << p.all_output();
  EXPECT_NE(p.output(0).find("rank 0 of 2"), std::string::npos) << p.output(0);
  expect_same_run(*single_ / kEnd, out / kEnd);
  EXPECT_FALSE(fs::exists(out / kMid));  // resumed after it
}

TEST_F(DistTrain, ABatchThatSplitsIntoPartialGroupsIsRefused) {
  // 8 images on 4 ranks: 2 each, half a minibatch-stddev group of 4.
  const fs::path out = temp_dir("partial");
  const std::string group = " --world-size 4 --master-port " + std::to_string(free_port());
  Processes p;
  for (int r = 0; r < 4; ++r)
    p.start(draggan_command(train_args(*data_, out) + group + " --rank " + std::to_string(r)), {},
            out / ("rank" + std::to_string(r) + ".txt"));
  ASSERT_TRUE(p.wait_all(120s)) << p.all_output();
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(p[r].exit_code, 1) << p.output(r);
    EXPECT_NE(p.output(r).find("multiple of 16"), std::string::npos) << p.output(r);
  }
}

}  // namespace dist_train_test
