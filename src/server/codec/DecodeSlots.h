// How many client images are decoded at once: a decode within the upload budget still costs a few hundred
// MB at worst, so concurrent uploads wait their turn (briefly) instead of adding up.
#pragma once
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "server/http/HttpError.h"

namespace draggan::server {

class DecodeSlots {
 public:
  explicit DecodeSlots(int slots) : free_(slots) {}

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

  // Waits up to `wait` for a free slot; HttpError 503 when none frees up.
  Slot acquire(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!freed_.wait_for(lock, wait, [this] { return free_ > 0; }))
      throw HttpError(503, "the server is busy decoding other images; try the upload again shortly");
    --free_;
    return Slot(*this);
  }

 private:
  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
};

}  // namespace draggan::server
