// Connections to one Redis shared by a replica's threads: at most `max_connections`, each used by one thread
// at a time and given back after its commands (a broken one is dropped and replaced on demand).
//
// After a failure the pool fails fast for a short while (`cooldown`): while Redis is down or frozen, each
// request gets its 503 at once instead of waiting out a timeout of its own, and a probe (the lease keeper's
// ping) is what finds it back.
#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/store/RedisConnection.h"

namespace draggan::server {

class RedisPool {
 public:
  RedisPool(RedisEndpoint endpoint, RedisTimeouts timeouts, size_t max_connections,
            std::chrono::milliseconds cooldown = std::chrono::milliseconds(500));

  class Handle {
   public:
    Handle(RedisPool* pool, std::unique_ptr<RedisConnection> connection, bool reused);
    Handle(Handle&&) noexcept = default;
    ~Handle();
    RedisConnection* operator->() const { return connection_.get(); }
    RedisConnection& operator*() const { return *connection_; }
    bool reused() const { return reused_; }  // it had served earlier requests

   private:
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> connection_;
    bool reused_ = false;
  };

  // StoreUnavailable when Redis failed less than `cooldown` ago (unless `probe`), when no connection frees up
  // within the command timeout, or when connecting fails.
  Handle borrow(bool probe = false);

  // Runs fn(connection) on a borrowed connection; a failure marks the store down (see above). A connection
  // kept from before that turns out dead (Redis restarted) is replaced and fn tried once more: nothing was
  // done on a socket the server had closed. A timeout is not retried (the command may have run).
  template <typename Fn>
  auto with(Fn&& fn, bool probe = false) {
    for (int attempt = 0;; ++attempt) {
      Handle h = borrow(probe);
      try {
        return fn(*h);
      } catch (const std::exception& e) {
        if (!h->broken()) throw;
        if (attempt == 0 && h.reused() && !h->timed_out()) continue;
        mark_down(e.what());
        throw;
      }
    }
  }

  bool up() const;
  std::string last_error() const;
  const RedisEndpoint& endpoint() const { return endpoint_; }
  const RedisTimeouts& timeouts() const { return timeouts_; }

 private:
  using Clock = std::chrono::steady_clock;
  void give_back(std::unique_ptr<RedisConnection> connection);
  void mark_down(const std::string& error);

  const RedisEndpoint endpoint_;
  const RedisTimeouts timeouts_;
  const size_t max_connections_;
  const std::chrono::milliseconds cooldown_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  size_t open_ = 0;  // idle + borrowed + being connected
  Clock::time_point down_until_{};
  std::string last_error_;
  bool up_ = true;
};

}  // namespace draggan::server
