// Faults in a group of `draggan train` ranks: a killed rank ends the others within a bounded time with one
// line naming it, and the run goes on from its last snapshot; a bad rendezvous (a port in use, an unreachable
// store, ranks that disagree on the world size, a rank that never comes) is one clear line, not a hang.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "RankProcesses.h"
#include "draggan/io/Image.h"

namespace dist_fault_test {

using namespace draggan::dist_test;
using namespace std::chrono_literals;

fs::path tiny_dataset(const fs::path& dir) {
  for (int i = 0; i < 8; ++i) {
    torch::Tensor img = torch::zeros({16, 16, 1}, torch::kUInt8);
    img.index_put_({torch::indexing::Slice(i, i + 6), torch::indexing::Slice(4, 10)}, 200);
    draggan::write_png((dir / ("img" + std::to_string(i) + ".png")).string(), img);
  }
  return dir;
}

std::string small_train(const fs::path& data, const fs::path& out) {
  return "train --data " + data.string() + " --out " + out.string() +
         " --resolution 16 --channels 1 --batch 12 --cbase 256 --cmax 16 --z-dim 16 --w-dim 16 "
         "--mapping-layers 2"
         " --grid 1 --threads 1";
}

// The line a process ended with.
std::string last_line(const std::string& output) {
  std::string s = output;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  const size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

TEST(DistFaults, AKilledRankEndsTheOthersWithItsNameAndTheRunResumes) {
  const fs::path data = tiny_dataset(temp_dir("fault_data")), out = temp_dir("fault_out");
  const std::string group = " --world-size 3 --dist-timeout 20 --master-port " + std::to_string(free_port());
  Processes p;
  for (int r = 0; r < 3; ++r)
    p.start(draggan_command(small_train(data, out) + " --kimg 1000 --snap-kimg 0.012" + group + " --rank " +
                            std::to_string(r)),
            {}, out / ("rank" + std::to_string(r) + ".txt"));
  // Training is under way once rank 0 has written a snapshot or two.
  for (auto deadline = std::chrono::steady_clock::now() + 180s;
       !fs::exists(out / "snapshot-000000.024kimg.safetensors");) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << p.all_output();
    ASSERT_TRUE(p.running(0) && p.running(1) && p.running(2)) << p.all_output();
    std::this_thread::sleep_for(100ms);
  }
  const auto killed = std::chrono::steady_clock::now();
  p.kill_hard(2);
  // The survivors stop on their own, well within the dead-peer limit (--dist-timeout 20): the broken
  // collective is diagnosed at once.
  ASSERT_TRUE(p.wait(0, 60s).has_value()) << p.all_output();
  ASSERT_TRUE(p.wait(1, 60s).has_value()) << p.all_output();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  EXPECT_LT(seconds, 20.0);
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(p[r].exit_code, 1) << p.output(r);
    const std::string line = last_line(p.output(r));
    EXPECT_EQ(line.rfind("draggan: rank 2 ", 0), 0u) << p.output(r);
  }

  // The run goes on from its last snapshot, here in one process: the snapshot holds the whole batch.
  Processes q;
  q.start(draggan_command(small_train(data, out) + " --resume latest --kimg 0.06 --snap-kimg 1"), {},
          out / "resumed.txt");
  const auto code = q.wait(0, 300s);
  ASSERT_TRUE(code.has_value()) << q.all_output();
  EXPECT_EQ(*code, 0) << q.output(0);
  EXPECT_NE(q.output(0).find("--resume latest: " + out.string() + "/snapshot-"), std::string::npos)
      << q.output(0);
  EXPECT_TRUE(fs::exists(out / "snapshot-000000.060kimg.safetensors")) << q.output(0);
}

TEST(DistFaults, ABadRendezvousIsOneClearLine) {
  const fs::path data = tiny_dataset(temp_dir("rdzv_data")), out = temp_dir("rdzv_out");
  const std::string train = small_train(data, out) + " --kimg 0.012 --dist-timeout 3";

  // Rank 0 cannot host the store on a port that is taken.
  const int busy = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = 0;
  ASSERT_EQ(bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(busy, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(busy, reinterpret_cast<sockaddr*>(&addr), &len);
  const int busy_port = ntohs(addr.sin_port);

  const int nobody = free_port(), missing = free_port(), disagree = free_port();
  Processes p;
  const size_t in_use =
      p.start(draggan_command(train + " --rank 0 --world-size 2 --master-port " + std::to_string(busy_port)),
              {}, out / "busy.txt");
  const size_t unreachable =
      p.start(draggan_command(train + " --rank 1 --world-size 2 --master-port " + std::to_string(nobody)), {},
              out / "unreachable.txt");
  const size_t alone =
      p.start(draggan_command(train + " --rank 0 --world-size 2 --master-port " + std::to_string(missing)),
              {}, out / "alone.txt");
  // torchrun's variables, with one rank told another world size.
  const size_t two = p.start(draggan_command(train),
                             {{"RANK", "0"},
                              {"WORLD_SIZE", "2"},
                              {"MASTER_ADDR", "127.0.0.1"},
                              {"MASTER_PORT", std::to_string(disagree)}},
                             out / "two.txt");
  const size_t three = p.start(draggan_command(train),
                               {{"RANK", "1"},
                                {"WORLD_SIZE", "3"},
                                {"MASTER_ADDR", "127.0.0.1"},
                                {"MASTER_PORT", std::to_string(disagree)}},
                               out / "three.txt");
  ASSERT_TRUE(p.wait_all(120s)) << p.all_output();
  close(busy);

  EXPECT_EQ(p[in_use].exit_code, 1);
  EXPECT_EQ(
      last_line(p.output(in_use))
          .rfind("draggan: rank 0 cannot host the rendezvous store on port " + std::to_string(busy_port), 0),
      0u)
      << p.output(in_use);
  EXPECT_EQ(p[unreachable].exit_code, 1);
  EXPECT_EQ(
      last_line(p.output(unreachable))
          .rfind("draggan: rank 1 cannot reach the rendezvous store at 127.0.0.1:" + std::to_string(nobody),
                 0),
      0u)
      << p.output(unreachable);
  EXPECT_EQ(p[alone].exit_code, 1);
  EXPECT_EQ(last_line(p.output(alone)),
            "draggan: only 1 of 2 ranks joined within 3 s (missing: 1); is every rank "
            "started, with the same --world-size / WORLD_SIZE?")
      << p.output(alone);
  for (size_t i : {two, three}) {
    EXPECT_EQ(p[i].exit_code, 1) << p.output(i);
    EXPECT_NE(last_line(p.output(i)).find("--world-size / WORLD_SIZE must agree"), std::string::npos)
        << p.output(i);
  }
}

}  // namespace dist_fault_test
