// Who holds the server's connection slots, and who gives one up when a new client needs it. The rule
// (docs/server.md, "Connection slots"):
//  - At most `max_connections` connections at once, and at most `max_per_address` from one client address.
//  - When a new connection finds no free slot, it takes the slot of the connection that gives least, and that
//    connection is closed: taken first from the address holding the most connections; within it, preferring
//    a connection that has not sent a whole request yet (idle since it connected, or trickling one in), then
//    one whose client is not taking its answer, then an idle keep-alive; and the longest in that state, at
//    any age. A request being handled, and an event stream that keeps up, are never dropped.
//  - An address connecting faster than `connects_per_second` (beyond a burst), or at `max_per_address`, can
//    take only its own slots: a client that keeps reconnecting cannot push out anyone else.
//  - When there is nothing to take, the new connection gets a short 503.
#pragma once
#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

namespace draggan::server {

class BoundedSocketStream;

struct SlotRules {
  size_t max_connections = 256;
  size_t max_per_address = 0;       // 0: max_connections
  double connects_per_second = 50;  // per address, sustained; 0: no limit
  double connect_burst = 100;
};

class ConnectionSlots {
 public:
  explicit ConnectionSlots(SlotRules rules);

  // A new connection from `address` takes a slot, closing (shutdown) another connection's socket if needed.
  // False, with `refusal` saying why, when no slot can be had.
  bool admit(socket_t sock, const std::string& address, const BoundedSocketStream* stream, std::string& refusal);
  // The connection's thread is done with it (call before the socket is closed: a descriptor is never shut
  // down after the system has reused it).
  void release(socket_t sock);
  // Shuts down every connection's socket (end of a shutdown's grace).
  size_t cut_all();

  size_t open() const;
  const SlotRules& rules() const { return rules_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot {
    std::string address;
    const BoundedSocketStream* stream;
    bool dropped = false;
  };
  struct Address {
    size_t connections = 0;
    double tokens = 0;
    Clock::time_point refilled;
  };

  // The slot to give up (see the rule above); INVALID_SOCKET when none gives little enough.
  socket_t choose_victim_locked(const std::string* only_address) const;
  void drop_locked(socket_t sock);
  void forget_idle_addresses_locked();

  const SlotRules rules_;
  mutable std::mutex mutex_;
  std::map<socket_t, Slot> slots_;
  std::unordered_map<std::string, Address> addresses_;
  size_t live_ = 0;  // slots not dropped
};

}  // namespace draggan::server
