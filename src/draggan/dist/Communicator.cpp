#include "draggan/dist/Communicator.h"

// c10d's Gloo header is empty unless told that Gloo is there. Debian's TorchConfig passes it to every target;
// a LibTorch whose config does not gets it here, not on the command line, so the shared precompiled header
// stays the same for every target.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "draggan/dist/DistConfig.h"
#if DRAGGAN_WITH_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <csignal>
#include <cstring>
#include <sstream>
#include <thread>

#include "draggan/core/Log.h"
#include "draggan/dist/DistributedError.h"
#include "draggan/dist/FailureMonitor.h"
#include "draggan/dist/StoreValue.h"

namespace draggan::dist {
namespace {

using Millis = std::chrono::milliseconds;

// A collective that waits longer than this has a peer that is alive (it beats) but never arrives: a
// deadlock, not a slow step. Slow ranks (a snapshot being written, an evaluation's last drags) stay far
// below.
constexpr std::chrono::minutes kCollectiveTimeout{30};

std::string one_line_of(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string s = c10_error ? c10_error->what_without_backtrace() : e.what();
  const size_t nl = s.find('\n');
  if (nl != std::string::npos) s.resize(nl);
  return s;
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::string seconds_text(double s) {
  std::ostringstream out;
  out << s;
  return out.str();
}

c10::intrusive_ptr<c10d::Store> connect_store(const Rendezvous& rv, bool server) {
  c10d::TCPStoreOptions o;
  o.port = static_cast<uint16_t>(rv.master_port);
  o.isServer = server;
  o.waitWorkers = false;  // the roll call below counts the ranks itself (and names the missing ones)
  o.timeout = Millis(static_cast<int64_t>(rv.timeout_s * 1000));
  try {
    return c10::make_intrusive<c10d::TCPStore>(rv.master_addr, o);
  } catch (const std::exception& e) {
    if (server)
      throw DistributedError("rank 0 cannot host the rendezvous store on port " +
                             std::to_string(rv.master_port) + ": " + one_line_of(e) +
                             " (another run on this port? choose another --master-port)");
    throw DistributedError("rank " + std::to_string(rv.rank) + " cannot reach the rendezvous store at " +
                           rv.store_address() + " within " + seconds_text(rv.timeout_s) +
                           " s: " + one_line_of(e) +
                           " (is rank 0 running, and are --master-addr / --master-port right?)");
  }
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& ifname,
                                                       const std::string& master_addr) {
  if (!ifname.empty()) return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  // Every rank is on this machine: loopback works even where the host name resolves to nothing useful.
  if (is_loopback_host(master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

struct Communicator::Impl {
  Rendezvous rv;
  c10::intrusive_ptr<c10d::Store> store;  // this group's keys, the main thread's connection
  std::unique_ptr<FailureMonitor> monitor;
  c10::intrusive_ptr<c10d::ProcessGroup> gloo;
  c10::intrusive_ptr<c10d::ProcessGroup> nccl;  // CUDA tensors, when compiled in and chosen
  int64_t next_wait = 0;
  bool failed = false, finished = false;
  Communicator::Traffic traffic;

  // Runs a collective; one that breaks is blamed on the rank that caused it.
  template <class Fn>
  void guarded(const char* what, Fn&& fn) {
    if (failed) throw DistributedError("the group has already failed");
    try {
      fn();
    } catch (const DistributedError&) {
      throw;
    } catch (const std::exception& e) {
      failed = true;
      throw DistributedError(monitor->diagnose_and_leave(std::string(what) + ": " + one_line_of(e)));
    }
  }

  c10d::ProcessGroup& group_for(const torch::Tensor& t) { return (nccl && t.is_cuda()) ? *nccl : *gloo; }

  // Polls the store until every key exists: the wait has no limit of its own, a dead rank ends it through the
  // failure monitor (or a broken store through the exception).
  void wait_keys(const std::vector<std::string>& keys) {
    auto pause = Millis(5);
    while (!store->check(keys)) {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, Millis(200));
    }
  }

  // Before the monitor runs: publish a rendezvous error so the other ranks stop with the same line (the
  // store's host gives them a moment to read it).
  [[noreturn]] void refuse(const std::string& verdict) {
    std::string v = verdict;
    try {
      if (store->add("verdict_claims", 1) == 1)
        store->set("verdict", to_store_value(v));
      else
        v = from_store_value(store->get("verdict"));
      if (rv.hosts_store()) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (store->add("verdict_seen", 0) < rv.world_size - 1 &&
               std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(Millis(20));
      }
    } catch (const std::exception&) {
    }
    throw DistributedError(v);
  }

  [[noreturn]] void take_verdict() {
    const std::string v = from_store_value(store->get("verdict"));
    store->add("verdict_seen", 1);
    throw DistributedError(v);
  }

  void roll_call();
};

void Communicator::Impl::roll_call() {
  const int r = rv.rank, w = rv.world_size;
  if (store->add("claim/" + std::to_string(r), 1) > 1)
    refuse("two processes were started as rank " + std::to_string(r) + " (each needs its own --rank / RANK)");
  store->set("join/" + std::to_string(r), to_store_value(std::to_string(w)));
  std::vector<std::string> keys;
  for (int k = 0; k < w; ++k) keys.push_back("join/" + std::to_string(k));
  const auto deadline = std::chrono::steady_clock::now() + Millis(static_cast<int64_t>(rv.timeout_s * 1000));
  while (!store->check(keys)) {
    if (store->check({"verdict"})) take_verdict();
    if (std::chrono::steady_clock::now() > deadline) {
      std::string missing;
      int joined = 0;
      for (int k = 0; k < w; ++k) {
        if (store->check({keys[k]}))
          ++joined;
        else
          missing += (missing.empty() ? "" : ", ") + std::to_string(k);
      }
      refuse("only " + std::to_string(joined) + " of " + std::to_string(w) + " ranks joined within " +
             seconds_text(rv.timeout_s) + " s (missing: " + missing +
             "); is every rank started, with the same --world-size / WORLD_SIZE?");
    }
    std::this_thread::sleep_for(Millis(20));
  }
  for (int k = 0; k < w; ++k) {
    const std::string theirs = from_store_value(store->get(keys[k]));
    if (theirs != std::to_string(w))
      refuse("rank " + std::to_string(k) + " was started with world size " + theirs + ", rank " +
             std::to_string(r) + " with " + std::to_string(w) + " (--world-size / WORLD_SIZE must agree)");
  }
  if (store->check({"join/" + std::to_string(w)}))
    refuse("a process joined as rank " + std::to_string(w) + ", outside the world of " + std::to_string(w) +
           " (--world-size / WORLD_SIZE must agree)");
}

std::unique_ptr<Communicator> Communicator::join(const Rendezvous& rv, const torch::Device& device) {
  // A peer that dies leaves sockets whose next write raises SIGPIPE, which would end this process without a
  // word; ignored, the write fails and the broken collective is diagnosed instead (Python ignores it too).
  std::signal(SIGPIPE, SIG_IGN);
  auto m = std::make_unique<Impl>();
  m->rv = rv;
  // torchrun's static rendezvous: its agent hosts the store and every worker is a client, under the prefix
  // its own workers would use (torch.distributed's env:// with TORCHELASTIC_USE_AGENT_STORE).
  auto base = [&](c10::intrusive_ptr<c10d::Store> tcp) -> c10::intrusive_ptr<c10d::Store> {
    if (!rv.agent_store) return tcp;
    return c10::make_intrusive<c10d::PrefixStore>("/worker/attempt_" + std::to_string(rv.restart_count), tcp);
  };
  m->store = c10::make_intrusive<c10d::PrefixStore>("draggan", base(connect_store(rv, rv.hosts_store())));
  try {
    m->roll_call();
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(rv.rank) + " lost the rendezvous store at " +
                           rv.store_address() + " during the rendezvous: " + one_line_of(e));
  }

  // The monitor talks over a connection of its own, so a long wait of the main thread never delays a beat.
  const std::string lost =
      rv.agent_store
          ? "torchrun's agent is gone (its rendezvous store at " + rv.store_address() + " stopped answering)"
          : "rank 0 is gone (its rendezvous store at " + rv.store_address() + " stopped answering)";
  m->monitor = std::make_unique<FailureMonitor>(
      c10::make_intrusive<c10d::PrefixStore>("draggan", base(connect_store(rv, false))), rv.rank,
      rv.world_size, rv.hosts_store(), lost, Millis(static_cast<int64_t>(rv.timeout_s * 1000)));
  m->monitor->start();

  try {
    auto options = c10d::ProcessGroupGloo::Options::create(kCollectiveTimeout);
    std::stringstream ifnames(rv.socket_ifname);
    for (std::string name; std::getline(ifnames, name, ',');)
      if (!name.empty()) options->devices.push_back(gloo_device(name, rv.master_addr));
    if (options->devices.empty()) options->devices.push_back(gloo_device("", rv.master_addr));
    m->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", m->store), rv.rank, rv.world_size, options);
  } catch (const std::exception& e) {
    m->failed = true;
    throw DistributedError(
        m->monitor->fail_and_leave("cannot connect to the other ranks over Gloo: " + one_line_of(e) +
                                   " (GLOO_SOCKET_IFNAME names the network interface that reaches them)"));
  }
  const bool want_nccl = rv.backend == "nccl" || (rv.backend == "auto" && device.is_cuda());
#if DRAGGAN_WITH_NCCL
  if (want_nccl) {
    if (!device.is_cuda()) throw DistributedError("--dist-backend nccl needs --device cuda");
    m->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
        c10::make_intrusive<c10d::PrefixStore>("nccl", m->store), rv.rank, rv.world_size,
        c10d::ProcessGroupNCCL::Options::create());
  }
#else
  if (want_nccl && rv.backend == "nccl")
    throw DistributedError(
        "--dist-backend nccl: this build has no NCCL (its LibTorch is a CPU one); use gloo");
#endif
  std::unique_ptr<Communicator> comm(new Communicator(std::move(m)));
  comm->impl_->guarded("barrier after joining", [&] { comm->impl_->gloo->barrier()->wait(); });
  // A rank that disagreed about the world size publishes why; the ones that agreed must not go on without it.
  if (comm->impl_->store->check({"verdict"})) {
    comm->impl_->failed = true;
    throw DistributedError(from_store_value(comm->impl_->store->get("verdict")));
  }
  return comm;
}

Communicator::Communicator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Communicator::~Communicator() {
  if (!impl_) return;
  if (impl_->failed || !impl_->finished) {
    // A broken group's threads may still wait on dead peers or a dead store: the process is about to end, so
    // they are left running rather than joined.
    (void)impl_->gloo.release();
    (void)impl_->nccl.release();
    (void)impl_->monitor.release();
  }
}

int Communicator::rank() const { return impl_->rv.rank; }
int Communicator::world_size() const { return impl_->rv.world_size; }
std::string Communicator::backend() const { return impl_->nccl ? "nccl" : "gloo"; }

void Communicator::all_reduce(const std::vector<torch::Tensor>& tensors, bool average) {
  struct Bucket {
    size_t begin, end;
    torch::Tensor flat, reduced;  // reduced: flat, or its CPU copy for Gloo
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::vector<Bucket> buckets;
  for (size_t i = 0; i < tensors.size();) {
    size_t j = i;
    int64_t size = 0;
    while (j < tensors.size() && tensors[j].scalar_type() == tensors[i].scalar_type() &&
           tensors[j].device() == tensors[i].device() &&
           (j == i || size + tensors[j].nbytes() <= static_cast<size_t>(kBucketBytes))) {
      size += static_cast<int64_t>(tensors[j].nbytes());
      ++j;
    }
    buckets.push_back({i, j, {}, {}, {}});
    i = j;
  }
  const auto start = std::chrono::steady_clock::now();
  impl_->guarded("all-reduce", [&] {
    for (Bucket& b : buckets) {
      std::vector<torch::Tensor> parts;
      for (size_t k = b.begin; k < b.end; ++k) parts.push_back(tensors[k].detach().reshape({-1}));
      b.flat = torch::cat(parts);
      c10d::ProcessGroup& group = impl_->group_for(b.flat);
      b.reduced = (&group == impl_->gloo.get() && !b.flat.is_cpu()) ? b.flat.cpu() : b.flat;
      std::vector<torch::Tensor> io{b.reduced};
      b.work = group.allreduce(io);
    }
    for (Bucket& b : buckets) {
      b.work->wait();
      if (average) b.reduced.div_(world_size());
      const torch::Tensor flat = b.reduced.to(b.flat.device());
      torch::NoGradGuard no_grad;
      int64_t offset = 0;
      for (size_t k = b.begin; k < b.end; ++k) {
        const int64_t n = tensors[k].numel();
        tensors[k].detach().copy_(flat.narrow(0, offset, n).view(tensors[k].sizes()));
        offset += n;
      }
      impl_->traffic.bytes += static_cast<int64_t>(b.flat.nbytes());
    }
  });
  impl_->traffic.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++impl_->traffic.calls;
}

Communicator::Traffic Communicator::traffic() const { return impl_->traffic; }

void Communicator::broadcast(const std::vector<torch::Tensor>& tensors, int root) {
  impl_->guarded("broadcast", [&] {
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& t : tensors) {
      c10d::ProcessGroup& group = impl_->group_for(t);
      torch::Tensor io =
          (&group == impl_->gloo.get() && !t.is_cpu()) ? t.detach().cpu() : t.detach().contiguous();
      std::vector<torch::Tensor> v{io};
      c10d::BroadcastOptions o;
      o.rootRank = root;
      group.broadcast(v, o)->wait();
      if (!io.is_same(t)) t.detach().copy_(io);
    }
  });
}

std::vector<std::string> Communicator::gather(const std::string& payload, int root) {
  std::vector<std::string> out;
  impl_->guarded("gather", [&] {
    const int w = world_size();
    std::vector<torch::Tensor> size_in{torch::tensor({static_cast<int64_t>(payload.size())}, torch::kLong)};
    std::vector<std::vector<torch::Tensor>> sizes(1);
    for (int k = 0; k < w; ++k) sizes[0].push_back(torch::empty({1}, torch::kLong));
    impl_->gloo->allgather(sizes, size_in)->wait();
    int64_t longest = 1;
    for (const auto& s : sizes[0]) longest = std::max(longest, s.item<int64_t>());
    torch::Tensor mine = torch::zeros({longest}, torch::kUInt8);
    if (!payload.empty()) std::memcpy(mine.data_ptr(), payload.data(), payload.size());
    std::vector<torch::Tensor> in{mine};
    std::vector<std::vector<torch::Tensor>> gathered;
    if (rank() == root) {
      gathered.resize(1);
      for (int k = 0; k < w; ++k) gathered[0].push_back(torch::empty({longest}, torch::kUInt8));
    }
    c10d::GatherOptions o;
    o.rootRank = root;
    impl_->gloo->gather(gathered, in, o)->wait();
    if (rank() != root) return;
    for (int k = 0; k < w; ++k)
      out.emplace_back(static_cast<const char*>(gathered[0][k].data_ptr()),
                       static_cast<size_t>(sizes[0][k].item<int64_t>()));
  });
  return out;
}

std::string Communicator::share_text(const std::string& key, const std::string& value, int root) {
  std::string result = value;
  impl_->guarded("sharing a value through the store", [&] {
    const std::string k = "share/" + key;
    if (rank() == root) {
      impl_->store->set(k, to_store_value(value));
    } else {
      impl_->wait_keys({k});
      result = from_store_value(impl_->store->get(k));
    }
  });
  return result;
}

void Communicator::wait_for_all(const std::string& name) {
  impl_->guarded("waiting for every rank", [&] {
    const std::string prefix = "arrive/" + std::to_string(impl_->next_wait++) + "/" + name + "/";
    impl_->store->set(prefix + std::to_string(rank()), to_store_value("1"));
    std::vector<std::string> keys;
    for (int k = 0; k < world_size(); ++k) keys.push_back(prefix + std::to_string(k));
    impl_->wait_keys(keys);
  });
}

std::string Communicator::fail(const std::string& what) {
  if (impl_->failed) {
    const std::string v = impl_->monitor->published_verdict();
    return v.empty() ? what : v;
  }
  impl_->failed = true;
  return impl_->monitor->fail_and_leave(what);
}

void Communicator::finish() {
  wait_for_all("finish");
  impl_->monitor->finish();
  impl_->finished = true;
}

}  // namespace draggan::dist
