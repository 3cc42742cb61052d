// httplib's TaskQueue as the editor needs it: a thread per connection (event streams, slow uploads and idle
// keep-alive connections never hold the threads other requests need; httplib's fixed pool answered nobody
// else with 32 event streams open), reused while there is work, at most `max_threads`. When all are busy the
// accept thread waits up to 100 ms for one to free (dropped connections' threads end within milliseconds);
// after that the job runs on the accept thread, which must then refuse the connection at once
// (on_accept_thread()).
// Shutdown waits for the threads until a deadline, then has every connection cut and waits 3 s more; the
// queue's state outlives the queue (httplib deletes it after shutdown()), so a thread left over never touches
// freed memory.
#pragma once
#include <httplib.h>

#include <chrono>
#include <functional>
#include <memory>

namespace draggan::server {

class ConnectionThreads : public httplib::TaskQueue {
 public:
  struct Shutdown {
    std::function<std::chrono::steady_clock::time_point()> deadline;  // when waiting politely ends
    std::function<void()> cut_connections;  // makes every connection's reads and writes fail at once
    std::function<void(size_t)> threads_left;  // how many had not ended after all
  };
  ConnectionThreads(size_t max_threads, Shutdown shutdown);

  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  // True on the accept thread while it runs a connection job itself.
  static bool on_accept_thread();

 private:
  struct State;
  static void work(std::shared_ptr<State> state, std::function<void()> job);

  std::shared_ptr<State> state_;
  const size_t max_threads_;
  Shutdown shutdown_;
};

}  // namespace draggan::server
