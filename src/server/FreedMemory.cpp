#include "server/FreedMemory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <chrono>

namespace draggan::server {

FreedMemory::FreedMemory() : thread_(&FreedMemory::run, this) {}

FreedMemory::~FreedMemory() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void FreedMemory::soon() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ = true;
  }
  wake_.notify_all();
}

void FreedMemory::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return pending_ || stopping_; });
    if (stopping_) return;
    // A moment for the request's own buffers to be freed after it asked.
    wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stopping_; });
    pending_ = false;
    lock.unlock();
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    lock.lock();
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
  }
}

}  // namespace draggan::server
