#include "server/http/ConnectionThreads.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace draggan::server {
namespace {
thread_local bool running_on_accept_thread = false;
// How long the accept thread waits for a thread when all are busy: a dropped connection's thread ends within
// milliseconds, and under a reconnect flood refusing at once turned honest clients away (issue 31, finding 1
// at 500 connections: the pool was full for a few ms at a time). Connections meanwhile wait in the backlog.
constexpr auto kWaitForThread = std::chrono::milliseconds(100);
}

struct ConnectionThreads::State {
  std::mutex mutex;
  std::condition_variable job_ready, all_done;
  std::condition_variable thread_free;  // a thread went idle or ended
  std::deque<std::function<void()>> jobs;
  size_t threads = 0, idle = 0;
  bool shutdown = false;
};

ConnectionThreads::ConnectionThreads(size_t max_threads, Shutdown shutdown)
    : state_(std::make_shared<State>()), max_threads_(max_threads), shutdown_(std::move(shutdown)) {}

bool ConnectionThreads::on_accept_thread() { return running_on_accept_thread; }

void ConnectionThreads::enqueue(std::function<void()> fn) {
  {
    std::unique_lock<std::mutex> lock(state_->mutex);
    const auto until = std::chrono::steady_clock::now() + kWaitForThread;
    for (;;) {
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
      if (state_->shutdown || state_->thread_free.wait_until(lock, until) == std::cv_status::timeout) break;
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
    state->thread_free.notify_one();
    // An idle thread waits a while for the next connection, then goes (bursts do not leave hundreds).
    state->job_ready.wait_for(lock, std::chrono::seconds(30), [&state] { return !state->jobs.empty() || state->shutdown; });
    --state->idle;
    if (state->jobs.empty()) {
      --state->threads;
      state->all_done.notify_all();
      state->thread_free.notify_one();
      return;
    }
    job = std::move(state->jobs.front());
    state->jobs.pop_front();
  }
}

}  // namespace draggan::server
