#include "server/store/RedisPool.h"

#include "draggan/core/Log.h"
#include "server/store/StoreError.h"

namespace draggan::server {

RedisPool::RedisPool(RedisEndpoint endpoint, RedisTimeouts timeouts, size_t max_connections,
                     std::chrono::milliseconds cooldown)
    : endpoint_(std::move(endpoint)),
      timeouts_(timeouts),
      max_connections_(std::max<size_t>(1, max_connections)),
      cooldown_(cooldown) {}

RedisPool::Handle::Handle(RedisPool* pool, std::unique_ptr<RedisConnection> connection, bool reused)
    : pool_(pool), connection_(std::move(connection)), reused_(reused) {}

RedisPool::Handle::~Handle() {
  if (pool_ && connection_) pool_->give_back(std::move(connection_));
}

RedisPool::Handle RedisPool::borrow(bool probe) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!probe && Clock::now() < down_until_)
    throw StoreUnavailable("store_unavailable", "session store " + endpoint_.describe() +
                                                    " unavailable (" + last_error_ + ")");
  const auto deadline = Clock::now() + timeouts_.command;
  while (idle_.empty() && open_ >= max_connections_) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_connections_)
      throw StoreUnavailable("store_unavailable", "session store " + endpoint_.describe() +
                                                      ": every connection is busy (Redis is slow to answer)");
  }
  if (!idle_.empty()) {
    std::unique_ptr<RedisConnection> c = std::move(idle_.back());
    idle_.pop_back();
    return Handle(this, std::move(c), true);
  }
  ++open_;
  lock.unlock();
  try {
    return Handle(this, std::make_unique<RedisConnection>(endpoint_, timeouts_), false);
  } catch (const std::exception& e) {
    lock.lock();
    --open_;
    available_.notify_one();
    lock.unlock();
    mark_down(e.what());
    throw;
  }
}

void RedisPool::give_back(std::unique_ptr<RedisConnection> connection) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (connection->broken()) {
    --open_;
  } else {
    idle_.push_back(std::move(connection));
    if (!up_) log::info("session store ", endpoint_.describe(), " is reachable again");
    up_ = true;
    down_until_ = {};
  }
  available_.notify_one();
}

void RedisPool::mark_down(const std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (up_) log::warn(error);
  up_ = false;
  last_error_ = error;
  down_until_ = Clock::now() + cooldown_;
  // Connections made before the failure may be stuck on a dead socket too: start afresh.
  open_ -= idle_.size();
  idle_.clear();
}

bool RedisPool::up() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return up_;
}

std::string RedisPool::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

}  // namespace draggan::server
