// The options `train` and `eval` share for running as one rank of a group of processes (docs/distributed.md):
// --rank, --world-size, --master-addr, --master-port over torchrun's environment (RANK, WORLD_SIZE, ...),
// --dist-backend, --dist-timeout. Without a world size (or with a world of one) a command runs as it always
// did, in one process.
#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <memory>
#include <string>

#include "CommonOptions.h"
#include "draggan/dist/Communicator.h"
#include "draggan/dist/Rendezvous.h"

namespace draggan::tools {

class DistCliOptions {
 public:
  void add_to(CLI::App& sub);
  dist::Rendezvous resolve() const;

 private:
  int rank_ = -1, world_size_ = -1, master_port_ = -1;
  std::string master_addr_;
  dist::RendezvousOverrides overrides_;
};

// One process's place in its group, ready to run: the group joined (null for a world of one), the device
// (cuda becomes cuda:LOCAL_RANK), the threads (--threads 0 shares the cores among the ranks on this machine:
// OMP_NUM_THREADS when set, as torchrun sets it, else cores / LOCAL_WORLD_SIZE) and the log (ranks other than
// 0 print warnings and errors only, unless --verbose).
struct RankSetup {
  std::unique_ptr<dist::Communicator> group;
  torch::Device device{torch::kCPU};
  bool root() const { return !group || group->is_root(); }
};
// `tensors_on_device`: the group reduces tensors on the device (train); else only CPU payloads (eval).
RankSetup join_group(const DistCliOptions& options, const CommonOptions& common, bool tensors_on_device);

// Runs `body`; when this rank fails, the other ranks learn why and every rank ends with the same one line
// (DistributedError), naming the rank.
int run_as_rank(RankSetup& setup, const std::function<int()>& body);

}  // namespace draggan::tools
