#include "server/http/ConnectionSlots.h"

#include <sys/socket.h>

#include <algorithm>
#include <tuple>

#include "server/http/BoundedSocketStream.h"

namespace draggan::server {
namespace {

// Lower gives less: never a whole request yet, then an answer not taken, then an idle keep-alive.
int worth(const BoundedSocketStream& stream) {
  switch (stream.stall()) {
    case BoundedSocketStream::Stall::answer: return 1;
    case BoundedSocketStream::Stall::idle:
    case BoundedSocketStream::Stall::request: return stream.served_any() ? 2 : 0;
    default: return 3;
  }
}

}  // namespace

ConnectionSlots::ConnectionSlots(SlotRules rules) : rules_(rules) {}

size_t ConnectionSlots::open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_;
}

bool ConnectionSlots::admit(socket_t sock, const std::string& address, const BoundedSocketStream* stream,
                            std::string& refusal) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = Clock::now();
  auto [it, fresh] = addresses_.try_emplace(address);
  Address& a = it->second;
  if (fresh) {
    a.tokens = rules_.connect_burst;
    a.refilled = now;
  }
  bool over_rate = false;
  if (rules_.connects_per_second > 0) {
    const double elapsed = std::chrono::duration<double>(now - a.refilled).count();
    a.tokens = std::min(rules_.connect_burst, a.tokens + elapsed * rules_.connects_per_second);
    a.refilled = now;
    over_rate = a.tokens < 1;
    if (!over_rate) a.tokens -= 1;
  }
  const size_t per_address = rules_.max_per_address ? rules_.max_per_address : rules_.max_connections;
  const bool address_full = a.connections >= per_address;
  if (live_ >= rules_.max_connections || address_full) {
    const bool own_only = over_rate || address_full;
    const socket_t victim = choose_victim_locked(own_only ? &address : nullptr);
    if (victim == INVALID_SOCKET) {
      refusal = address_full ? "this address has " + std::to_string(a.connections) + " connections open (limit " +
                                   std::to_string(per_address) + ")"
                             : std::to_string(live_) + " connections are open (limit " +
                                   std::to_string(rules_.max_connections) + ")" +
                                   (over_rate ? " and this address connects too fast to take another's slot" : "");
      if (a.connections == 0 && fresh) addresses_.erase(it);
      return false;
    }
    drop_locked(victim);
  }
  slots_[sock] = {address, stream, false};
  ++live_;
  ++a.connections;
  if (addresses_.size() > 4096) forget_idle_addresses_locked();
  return true;
}

socket_t ConnectionSlots::choose_victim_locked(const std::string* only_address) const {
  // (the address's connections, less worth, older): the largest wins.
  socket_t victim = INVALID_SOCKET;
  std::tuple<size_t, int, int64_t> best{0, 0, 0};
  for (const auto& [sock, slot] : slots_) {
    if (slot.dropped || (only_address && slot.address != *only_address)) continue;
    const int64_t since = slot.stream->stalled_since();
    if (since == 0) continue;  // being handled, or keeping up
    const int w = worth(*slot.stream);
    if (w >= 3) continue;
    const std::tuple<size_t, int, int64_t> key{addresses_.at(slot.address).connections, -w, -since};
    if (victim == INVALID_SOCKET || key > best) {
      best = key;
      victim = sock;
    }
  }
  return victim;
}

void ConnectionSlots::drop_locked(socket_t sock) {
  Slot& slot = slots_.at(sock);
  ::shutdown(sock, SHUT_RDWR);  // its thread sees the end of the connection and closes it
  slot.dropped = true;
  --live_;
  --addresses_[slot.address].connections;
}

void ConnectionSlots::release(socket_t sock) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = slots_.find(sock);
  if (it == slots_.end()) return;
  if (!it->second.dropped) {
    --live_;
    --addresses_[it->second.address].connections;
  }
  slots_.erase(it);
}

size_t ConnectionSlots::cut_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [sock, slot] : slots_) ::shutdown(sock, SHUT_RDWR);
  return slots_.size();
}

void ConnectionSlots::forget_idle_addresses_locked() {
  // Addresses with no connection whose connect budget has refilled carry no state worth keeping.
  const auto now = Clock::now();
  for (auto it = addresses_.begin(); it != addresses_.end();) {
    const double elapsed = std::chrono::duration<double>(now - it->second.refilled).count();
    const bool refilled = rules_.connects_per_second <= 0 ||
                          it->second.tokens + elapsed * rules_.connects_per_second >= rules_.connect_burst;
    it = it->second.connections == 0 && refilled ? addresses_.erase(it) : std::next(it);
  }
}

}  // namespace draggan::server
