#include "server/http/ConnectionThreads.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace draggan::server {
namespace {
thread_local bool running_on_accept_thread = false;
}

struct ConnectionThreads::State {
  std::mutex mutex;
  std::condition_variable job_ready, all_done;
  std::deque<std::function<void()>> jobs;
  size_t threads = 0, idle = 0;
  bool shutdown = false;
};

ConnectionThreads::ConnectionThreads(size_t max_threads, Shutdown shutdown)
    : state_(std::make_shared<State>()), max_threads_(max_threads), shutdown_(std::move(shutdown)) {}

bool ConnectionThreads::on_accept_thread() { return running_on_accept_thread; }

void ConnectionThreads::enqueue(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->idle > state_->jobs.size()) {
      state_->jobs.push_back(std::move(fn));
      state_->job_ready.notify_one();
      return;
    }
    if (state_->threads < max_threads_ && !state_->shutdown) {
      ++state_->threads;
      std::thread(&ConnectionThreads::work, state_, std::move(fn)).detach();
      return;
    }
  }
  running_on_accept_thread = true;
  fn();
  running_on_accept_thread = false;
}

void ConnectionThreads::shutdown() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->shutdown = true;
  state_->job_ready.notify_all();
  const auto none_left = [this] { return state_->threads == 0; };
  auto deadline = shutdown_.deadline();
  const auto now = std::chrono::steady_clock::now();
  if (deadline - now > std::chrono::hours(1)) deadline = now + std::chrono::seconds(10);  // none was set
  if (!state_->all_done.wait_until(lock, deadline, none_left)) {
    lock.unlock();
    shutdown_.cut_connections();
    lock.lock();
    state_->all_done.wait_for(lock, std::chrono::seconds(3), none_left);
  }
  shutdown_.threads_left(state_->threads);
}

void ConnectionThreads::work(std::shared_ptr<State> state, std::function<void()> job) {
  for (;;) {
    job();
    job = nullptr;
    std::unique_lock<std::mutex> lock(state->mutex);
    ++state->idle;
    // An idle thread waits a while for the next connection, then goes (bursts do not leave hundreds).
    state->job_ready.wait_for(lock, std::chrono::seconds(30), [&state] { return !state->jobs.empty() || state->shutdown; });
    --state->idle;
    if (state->jobs.empty()) {
      --state->threads;
      state->all_done.notify_all();
      return;
    }
    job = std::move(state->jobs.front());
    state->jobs.pop_front();
  }
}

}  // namespace draggan::server
