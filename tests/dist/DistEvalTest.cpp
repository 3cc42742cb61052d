// `draggan eval` sharded over ranks (drag i on rank i mod N, gathered by rank 0) writes what one process
// writes: the same JSON, summary table and report, figure for figure (only the timings differ, as between any
// two runs).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "RankProcesses.h"

namespace dist_eval_test {

using namespace draggan::dist_test;
using namespace std::chrono_literals;

// The shipped 32-px model with its classifier (class before and after), short drags.
const std::string kEvalBase = "eval --model " + std::string(DRAGGAN_SOURCE_DIR) +
                              "/models/default.safetensors --seed 2 --steps 15 --threads 1";
const std::string kEval = kEvalBase + " --drags 5";

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

// The summary table's lines (from its "group" header on; log lines and the launcher's notes skipped), each
// without its last column, the seconds per drag.
std::vector<std::string> table_lines(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  const std::regex seconds(R"(\s+[0-9.]+$)");
  bool table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("group ", 0) == 0) table = true;
    if (!table || line.empty() || line[0] == '[' || line[0] == '*' ||
        line.find("torch") != std::string::npos || line.find("OMP_NUM_THREADS") != std::string::npos)
      continue;
    lines.push_back(std::regex_replace(line, seconds, ""));
  }
  return lines;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DistEval, ThreeRanksUnderTorchrunWriteWhatOneProcessWrites) {
  if (!have_torchrun()) GTEST_SKIP() << "no /usr/bin/torchrun (Debian's python3-torch)";
  const fs::path one = temp_dir("eval_one"), three = temp_dir("eval_three");
  Processes p;
  p.start(draggan_command(kEval + " --json " + (one / "eval.json").string() + " --report " +
                          (one / "report").string()),
          {}, one / "out.txt");
  // torchrun's static rendezvous: its agent hosts the store and the ranks are its clients.
  p.start(torchrun_command("--nnodes 1 --nproc_per_node 3 --master_port " + std::to_string(free_port()),
                           kEval + " --json " + (three / "eval.json").string() + " --report " +
                               (three / "report").string()),
          {}, three / "out.txt");
  ASSERT_TRUE(p.wait_all(300s)) << p.all_output();
  ASSERT_EQ(p[0].exit_code, 0) << p.output(0);
  ASSERT_EQ(p[1].exit_code, 0) << p.output(1);
  EXPECT_NE(p.output(1).find("rendezvous at torchrun's agent store"), std::string::npos) << p.output(1);

  const nlohmann::json a = read_json(one / "eval.json"), b = read_json(three / "eval.json");
  EXPECT_EQ(without_times(a).dump(1), without_times(b).dump(1));
  EXPECT_EQ(read_json(one / "report" / "eval.json").size(), read_json(three / "report" / "eval.json").size());
  // Images and contact sheets byte for byte; index.html shows no timings.
  size_t images = 0;
  for (const auto& entry : fs::directory_iterator(one / "report")) {
    const std::string name = entry.path().filename().string();
    if (name == "eval.json") continue;
    ++images;
    EXPECT_EQ(file_bytes(entry.path()), file_bytes(three / "report" / name)) << name;
  }
  EXPECT_GE(images, 16u);  // 5 drags x (before, after, sheet) + masks + index.html
  // The table on stdout: torchrun passes the ranks' stdout through, and only rank 0 prints one.
  const std::vector<std::string> t1 = table_lines(p.output(0)), t3 = table_lines(p.output(1));
  EXPECT_GE(t1.size(), 3u) << p.output(0);
  EXPECT_EQ(t1, t3) << p.output(0) << "\n----\n" << p.output(1);
}

TEST(DistEval, TwoRanksWithExplicitOptionsWriteWhatOneProcessWrites) {
  const fs::path one = temp_dir("eval_one_b"), two = temp_dir("eval_two");
  const std::string group = " --world-size 2 --master-port " + std::to_string(free_port());
  const std::string args = kEvalBase + " --drags 3 --classifier none";
  Processes p;
  p.start(draggan_command(args + " --json " + (one / "eval.json").string()), {}, one / "out.txt");
  for (int r = 0; r < 2; ++r)
    p.start(draggan_command(args + " --json " + (two / "eval.json").string() + group + " --rank " +
                            std::to_string(r)),
            {}, two / ("rank" + std::to_string(r) + ".txt"));
  ASSERT_TRUE(p.wait_all(300s)) << p.all_output();
  for (size_t i = 0; i < 3; ++i) ASSERT_EQ(p[i].exit_code, 0) << p.all_output();
  EXPECT_EQ(without_times(read_json(one / "eval.json")).dump(1),
            without_times(read_json(two / "eval.json")).dump(1));
  EXPECT_EQ(p.output(2).find("[info]"), std::string::npos) << p.output(2);  // rank 1: no log
  EXPECT_EQ(p.output(2).find("group "), std::string::npos) << p.output(2);  // and no table
}

}  // namespace dist_eval_test
