// What training and evaluation need from a group of processes, over LibTorch's c10d: a TCPStore for the
// rendezvous (rank 0's, or torchrun's agent's), ProcessGroupGloo for CPU tensors and byte payloads, and
// ProcessGroupNCCL for CUDA tensors where the LibTorch has it. Nothing here is a transport of its own.
//
// A rank that dies, hangs or fails stops the others with one line naming it (FailureMonitor.h): collectives
// that fail are diagnosed, and a watchdog thread ends a process whose peer stopped beating while it waits.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "draggan/dist/Rendezvous.h"

namespace draggan::dist {

// Contiguous buckets of at most this many bytes per all-reduce (DistributedDataParallel's default).
constexpr int64_t kBucketBytes = 25 << 20;

class Communicator {
 public:
  // Rendezvous, checks (every rank present once, everyone agreeing on the world size), then the process
  // group(s) and the failure monitor. `device`: where the tensors to reduce live (cuda picks NCCL under
  // backend "auto" when compiled in). Throws DistributedError with a one-line reason.
  static std::unique_ptr<Communicator> join(const Rendezvous& rendezvous, const torch::Device& device);
  ~Communicator();

  int rank() const;
  int world_size() const;
  bool is_root() const { return rank() == 0; }
  std::string backend() const;  // "gloo" or "nccl" (tensors on CUDA)

  // Sums the tensors over the ranks, in place, in contiguous buckets of at most kBucketBytes (all launched,
  // then waited for), then divides by the world size if `average`. Every rank passes the same shapes and
  // dtypes in the same order.
  void all_reduce(const std::vector<torch::Tensor>& tensors, bool average);
  // Overwrites the tensors with root's.
  void broadcast(const std::vector<torch::Tensor>& tensors, int root = 0);
  // Root gets every rank's bytes, in rank order; the other ranks get an empty vector.
  std::vector<std::string> gather(const std::string& bytes, int root = 0);
  // Root's text on every rank (through the store: for small things such as a configuration to compare).
  std::string share_text(const std::string& key, const std::string& text, int root = 0);
  // Returns when every rank has arrived, however long that takes, as long as they are alive: a slow rank
  // (the last drags of an evaluation) is waited for, a dead one ends the wait through the failure monitor.
  void wait_for_all(const std::string& name);

  // This rank cannot go on (bad input, a broken collective): tells the others why, waits briefly so they can
  // read it when this rank hosts the store, and returns the one-line reason to throw. A failure caused by
  // another rank (a collective that broke) is diagnosed and blamed on that rank.
  std::string fail(const std::string& what);
  // The run is over on every rank: waits for them, stops the monitor and closes the group.
  void finish();

  // What all_reduce has cost so far on this rank (bench/README.md): wall time from the first bucket's launch
  // to the last one's wait, bytes summed (each rank's own tensors), calls.
  struct Traffic {
    double seconds = 0;
    int64_t bytes = 0;
    int64_t calls = 0;
  };
  Traffic traffic() const;

  struct Impl;

 private:
  explicit Communicator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace draggan::dist
