// Where a process stands in a group of processes and how it finds the others, as torchrun hands it to its
// workers (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, GLOO_SOCKET_IFNAME, and
// TORCHELASTIC_USE_AGENT_STORE / TORCHELASTIC_RESTART_COUNT when the launcher hosts the store itself) or as
// options give it. Options win over the environment, so one variable left over in a shell can be overridden.
#pragma once
#include <optional>
#include <string>

namespace draggan::dist {

// What the command line says; unset fields fall back to the environment.
struct RendezvousOverrides {
  std::optional<int> rank, world_size;
  std::optional<std::string> master_addr;
  std::optional<int> master_port;
  std::string backend = "auto";  // auto | gloo | nccl
  double timeout_s = 60;         // rendezvous wait and the dead-peer limit (FailureMonitor)
};

struct Rendezvous {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // torchrun's static rendezvous hosts a TCPStore in the agent: every worker is then a client, under the
  // prefix "/worker/attempt_<restart count>". Otherwise rank 0 hosts it (torchrun's c10d rendezvous and
  // explicit options).
  bool agent_store = false;
  int restart_count = 0;
  std::string socket_ifname;  // GLOO_SOCKET_IFNAME: interface(s) for Gloo, comma separated
  std::string backend = "auto";
  double timeout_s = 60;

  bool distributed() const { return world_size > 1; }
  bool hosts_store() const { return !agent_store && rank == 0; }
  std::string store_address() const;  // "host:port"
};

// The group this process belongs to: a world of one (no group at all) when neither the options nor the
// environment give a world size. Throws InputError naming the variable or option for a bad value (rank
// outside the world, a world size without a rank, a port outside 1..65535, an unknown backend).
Rendezvous resolve_rendezvous(const RendezvousOverrides& overrides);

}  // namespace draggan::dist
