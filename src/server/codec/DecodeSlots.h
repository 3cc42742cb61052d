// How many expensive parses (client images, large session files) run at once: one within its budget still
// costs a few hundred MB at worst, so concurrent ones wait their turn (briefly) instead of adding up. A
// request whose client has hung up stops waiting.
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>

#include "server/http/HttpError.h"

namespace draggan::server {

class DecodeSlots {
 public:
  // `busy`: the 503's message when no slot frees up in time.
  DecodeSlots(int slots, std::string busy) : free_(slots), busy_(std::move(busy)) {}

  class Slot {
   public:
    explicit Slot(DecodeSlots& owner) : owner_(&owner) {}
    Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
    Slot(const Slot&) = delete;
    ~Slot() {
      if (!owner_) return;
      std::lock_guard<std::mutex> lock(owner_->mutex_);
      ++owner_->free_;
      owner_->freed_.notify_one();
    }

   private:
    DecodeSlots* owner_;
  };

  // Waits up to `wait` for a free slot; HttpError 503 when none frees up, 400 when `abandoned()` turns true
  // meanwhile (checked every 100 ms).
  Slot acquire(std::chrono::milliseconds wait, const std::function<bool()>& abandoned = {}) {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto end = std::chrono::steady_clock::now() + wait;
    while (free_ <= 0) {
      if (abandoned && abandoned()) throw HttpError(400, "the client closed the connection");
      if (std::chrono::steady_clock::now() >= end) throw HttpError(503, busy_);
      freed_.wait_until(lock, std::min(end, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    }
    --free_;
    return Slot(*this);
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
  const std::string busy_;
};

}  // namespace draggan::server
