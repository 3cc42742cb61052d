#include "DistCliOptions.h"

#include <cstdlib>
#include <thread>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/core/Runtime.h"
#include "draggan/dist/DistributedError.h"

namespace draggan::tools {

void DistCliOptions::add_to(CLI::App& sub) {
  const std::string group =
      "Distributed (docs/distributed.md; torchrun's RANK, WORLD_SIZE, MASTER_ADDR, ... work too)";
  sub.add_option("--rank", rank_, "This process's rank, 0..world size - 1 (else $RANK)")->group(group);
  sub.add_option("--world-size", world_size_,
                 "Number of processes in the group (else $WORLD_SIZE; none: one process)")
      ->group(group);
  sub.add_option("--master-addr", master_addr_,
                 "Address of rank 0, which hosts the rendezvous store (else $MASTER_ADDR, "
                 "127.0.0.1)")
      ->group(group);
  sub.add_option("--master-port", master_port_, "Port of the rendezvous store (else $MASTER_PORT, 29500)")
      ->group(group);
  sub.add_option("--dist-backend", overrides_.backend,
                 "auto (NCCL for CUDA tensors where built in, else Gloo), gloo, nccl")
      ->capture_default_str()
      ->group(group);
  sub.add_option(
         "--dist-timeout", overrides_.timeout_s,
         "Seconds to wait for every rank to join, and for a rank that stopped responding before giving up")
      ->capture_default_str()
      ->group(group);
}

dist::Rendezvous DistCliOptions::resolve() const {
  dist::RendezvousOverrides o = overrides_;
  if (rank_ != -1) o.rank = rank_;
  if (world_size_ != -1) o.world_size = world_size_;
  if (!master_addr_.empty()) o.master_addr = master_addr_;
  if (master_port_ != -1) o.master_port = master_port_;
  return dist::resolve_rendezvous(o);
}

RankSetup join_group(const DistCliOptions& options, const CommonOptions& common, bool tensors_on_device) {
  RankSetup setup;
  const dist::Rendezvous rv = options.resolve();
  setup.device = common.torch_device();
  if (!rv.distributed()) return setup;
  if (setup.device.is_cuda() && !setup.device.has_index())
    setup.device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(rv.local_rank));
  if (common.threads == 0) {
    int threads = 0;
    if (const char* omp = std::getenv("OMP_NUM_THREADS"); omp && *omp) threads = std::atoi(omp);
    if (threads <= 0)
      threads = static_cast<int>(std::thread::hardware_concurrency()) / std::max(1, rv.local_world_size);
    configure_threads(std::max(1, threads));
  }
  if (rv.rank != 0 && !common.verbose) log::set_level(log::Level::Warn);
  setup.group = dist::Communicator::join(rv, tensors_on_device ? setup.device : torch::Device(torch::kCPU));
  log::info("rank ", rv.rank, " of ", rv.world_size, " (", setup.group->backend(), ", rendezvous at ",
            rv.agent_store ? "torchrun's agent store " : "", rv.store_address(), ")");
  return setup;
}

int run_as_rank(RankSetup& setup, const std::function<int()>& body) {
  if (!setup.group) return body();
  try {
    const int code = body();
    setup.group->finish();
    return code;
  } catch (const std::exception& e) {
    const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
    std::string what = c10_error ? c10_error->what_without_backtrace() : e.what();
    if (const size_t nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    throw DistributedError(setup.group->fail(what));
  }
}

}  // namespace draggan::tools
