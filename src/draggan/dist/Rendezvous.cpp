#include "draggan/dist/Rendezvous.h"

#include <cmath>
#include <cstdlib>

#include "draggan/core/Error.h"

namespace draggan::dist {
namespace {

std::optional<std::string> environment_value(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

int parse_rendezvous_int(const std::string& text, const std::string& what) {
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || value < -1000000000L || value > 1000000000L)
    throw InputError(what + ": expected an integer, got '" + text + "'");
  return static_cast<int>(value);
}

// The option's value, else the variable's, else nothing.
std::optional<int> option_or_variable(const std::optional<int>& option, const char* variable) {
  if (option) return option;
  if (auto v = environment_value(variable)) return parse_rendezvous_int(*v, variable);
  return std::nullopt;
}

}  // namespace

std::string Rendezvous::store_address() const { return master_addr + ":" + std::to_string(master_port); }

Rendezvous resolve_rendezvous(const RendezvousOverrides& o) {
  Rendezvous r;
  r.backend = o.backend;
  if (r.backend != "auto" && r.backend != "gloo" && r.backend != "nccl")
    throw InputError("--dist-backend must be auto, gloo or nccl, got '" + r.backend + "'");
  if (!(std::isfinite(o.timeout_s) && o.timeout_s >= 1 && o.timeout_s <= 86400))
    throw InputError("--dist-timeout must be 1..86400 seconds, got " + std::to_string(o.timeout_s));
  r.timeout_s = o.timeout_s;

  const std::optional<int> world = option_or_variable(o.world_size, "WORLD_SIZE");
  const std::optional<int> rank = option_or_variable(o.rank, "RANK");
  if (!world) {
    if (o.rank) throw InputError("--rank needs --world-size (or WORLD_SIZE)");
    return r;  // one process
  }
  const char* world_src = o.world_size ? "--world-size" : "WORLD_SIZE";
  const char* rank_src = o.rank ? "--rank" : "RANK";
  if (*world < 1 || *world > 65536)
    throw InputError(std::string(world_src) + " must be 1..65536, got " + std::to_string(*world));
  r.world_size = *world;
  if (!rank) {
    if (*world == 1) return r;
    throw InputError(std::string(world_src) + " is " + std::to_string(*world) +
                     " but no rank is given (--rank or RANK)");
  }
  if (*rank < 0 || *rank >= *world)
    throw InputError(std::string(rank_src) + " " + std::to_string(*rank) + " is outside the world of " +
                     std::to_string(*world) + " (ranks 0.." + std::to_string(*world - 1) + ")");
  r.rank = *rank;
  if (auto v = environment_value("LOCAL_RANK")) r.local_rank = parse_rendezvous_int(*v, "LOCAL_RANK");
  if (auto v = environment_value("LOCAL_WORLD_SIZE"))
    r.local_world_size = std::max(1, parse_rendezvous_int(*v, "LOCAL_WORLD_SIZE"));

  if (o.master_addr) {
    r.master_addr = *o.master_addr;
  } else if (auto v = environment_value("MASTER_ADDR")) {
    r.master_addr = *v;
  }
  const char* port_src = o.master_port ? "--master-port" : "MASTER_PORT";
  if (auto port = option_or_variable(o.master_port, "MASTER_PORT")) r.master_port = *port;
  if (r.master_port < 1 || r.master_port > 65535)
    throw InputError(std::string(port_src) + " must be 1..65535, got " + std::to_string(r.master_port));
  if (r.master_addr.empty()) throw InputError("--master-addr / MASTER_ADDR is empty");

  // Explicit options describe a group of our own: the launcher's store, if any, is not ours to use.
  const bool explicit_group = o.world_size || o.rank || o.master_addr || o.master_port;
  if (!explicit_group && environment_value("TORCHELASTIC_USE_AGENT_STORE").value_or("") == "True") {
    r.agent_store = true;
    if (auto v = environment_value("TORCHELASTIC_RESTART_COUNT"))
      r.restart_count = parse_rendezvous_int(*v, "TORCHELASTIC_RESTART_COUNT");
  }
  if (auto v = environment_value("GLOO_SOCKET_IFNAME")) r.socket_ifname = *v;
  return r;
}

}  // namespace draggan::dist
