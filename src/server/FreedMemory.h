// Gives freed heap memory back to the system after large requests. The editor keeps what it frees for reuse
// (keep_freed_memory_for_reuse: a drag step allocates the same buffers again and again), so after a burst of
// large bodies, refused documents or closed event streams, hundreds of MB stayed resident for good (issue 31:
// 1.18 GB after three refused 64 MB loads). soon() asks for glibc's malloc_trim on a thread of its own, at
// most once a second, so no request waits for it and a flood of large requests does not trim in a loop.
#pragma once
#include <condition_variable>
#include <mutex>
#include <thread>

namespace draggan::server {

class FreedMemory {
 public:
  FreedMemory();
  ~FreedMemory();
  FreedMemory(const FreedMemory&) = delete;
  FreedMemory& operator=(const FreedMemory&) = delete;

  // Something large was freed (or is about to be): return what is free within about a second.
  void soon();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace draggan::server
