#include "draggan/dist/FailureMonitor.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "draggan/dist/StoreValue.h"

namespace draggan::dist {
namespace {

using MonitorClock = std::chrono::steady_clock;

std::string beat_key(int rank) { return "beat/" + std::to_string(rank); }
std::string left_key(int rank) { return "left/" + std::to_string(rank); }

std::string elapsed_text(MonitorClock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", std::chrono::duration<double>(d).count());
  return buf;
}

// Often enough that a dead peer is named within a few seconds of a broken collective, rarely enough that a
// large group does not load the store: a tenth of the timeout, 0.1 to 1 s.
std::chrono::milliseconds beat_interval_for(std::chrono::milliseconds timeout) {
  return std::clamp(timeout / 10, std::chrono::milliseconds(100), std::chrono::milliseconds(1000));
}

}  // namespace

FailureMonitor::FailureMonitor(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size,
                               bool hosts_store, std::string store_lost, std::chrono::milliseconds timeout)
    : store_(std::move(store)),
      rank_(rank),
      world_(world_size),
      hosts_store_(hosts_store),
      store_lost_(std::move(store_lost)),
      timeout_(timeout),
      interval_(beat_interval_for(timeout)) {
  if (rank_ == 0) {
    for (int k = 1; k < world_; ++k) watched_.push_back(k);
  } else {
    watched_.push_back(0);
  }
}

FailureMonitor::~FailureMonitor() {
  stop_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FailureMonitor::start() {
  store_->add(beat_key(rank_), 1);
  thread_ = std::thread([this] { run(); });
}

std::string FailureMonitor::store_lost() const { return store_lost_; }

int64_t FailureMonitor::beat_of(int rank) { return store_->add(beat_key(rank), 0); }

bool FailureMonitor::has_left(int rank) { return store_->check({left_key(rank)}); }

std::string FailureMonitor::published_verdict() {
  try {
    if (store_->check({"verdict"})) return from_store_value(store_->get("verdict"));
  } catch (const std::exception&) {
  }
  return "";
}

std::string FailureMonitor::publish(const std::string& verdict) {
  try {
    // The first rank to claim it writes the verdict; the others read that one, so every rank prints the same.
    if (store_->add("verdict_claims", 1) == 1) {
      store_->set("verdict", to_store_value(verdict));
      return verdict;
    }
    return from_store_value(store_->get("verdict"));
  } catch (const std::exception&) {
    return verdict;
  }
}

void FailureMonitor::leave(const char* how) {
  try {
    store_->set(left_key(rank_), to_store_value(how));
  } catch (const std::exception&) {
  }
}

void FailureMonitor::linger() {
  if (!hosts_store_) return;
  // The others read the verdict from this process's store: give them a moment (dead ranks never answer).
  const auto deadline = MonitorClock::now() + 2 * interval_ + std::chrono::seconds(2);
  while (MonitorClock::now() < deadline) {
    bool all_left = true;
    try {
      for (int k = 0; k < world_ && all_left; ++k)
        if (k != rank_ && !has_left(k)) all_left = false;
    } catch (const std::exception&) {
      return;
    }
    if (all_left) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void FailureMonitor::die(const std::string& verdict) {
  handling_ = true;
  std::cerr << "draggan: " << verdict << std::endl;
  leave("failed");
  linger();
  // The main thread may be blocked in a collective that never returns: end the process from here.
  std::_Exit(1);
}

void FailureMonitor::run() {
  std::vector<int64_t> last(static_cast<size_t>(world_), -1);
  std::vector<MonitorClock::time_point> changed(static_cast<size_t>(world_), MonitorClock::now());
  std::vector<bool> done(static_cast<size_t>(world_), false);
  while (!stop_) {
    std::string verdict;
    try {
      store_->add(beat_key(rank_), 1);
      if (store_->check({"verdict"})) verdict = from_store_value(store_->get("verdict"));
      for (size_t i = 0; i < watched_.size() && verdict.empty(); ++i) {
        const int t = watched_[i];
        if (done[t]) continue;
        const int64_t beat = beat_of(t);
        const auto now = MonitorClock::now();
        if (beat != last[t]) {
          last[t] = beat;
          changed[t] = now;
        } else if (now - changed[t] >= timeout_) {
          if (has_left(t)) {
            done[t] = true;  // finished cleanly
          } else {
            verdict = publish("rank " + std::to_string(t) + " stopped responding (no heartbeat for " +
                              elapsed_text(now - changed[t]) + " s)");
          }
        }
      }
    } catch (const std::exception&) {
      if (stop_) break;
      verdict = store_lost();
    }
    if (!verdict.empty() && !handling_ && !stop_) die(verdict);
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait_for(lock, interval_, [this] { return stop_.load(); });
  }
}

std::string FailureMonitor::diagnose_and_leave(const std::string& what) {
  handling_ = true;
  std::string verdict = published_verdict();
  if (verdict.empty()) {
    // A killed peer's beat stops with it: watch every other rank for a few intervals.
    const auto start = MonitorClock::now();
    const auto stale_after = 2 * interval_ + std::chrono::milliseconds(500);
    const auto deadline = start + std::min<MonitorClock::duration>(timeout_, 2 * stale_after);
    std::vector<int64_t> first(static_cast<size_t>(world_), -1);
    try {
      for (int k = 0; k < world_; ++k)
        if (k != rank_) first[k] = beat_of(k);
      while (verdict.empty()) {
        std::this_thread::sleep_for(interval_ / 2);
        verdict = published_verdict();
        if (!verdict.empty()) break;
        const auto now = MonitorClock::now();
        if (now - start < stale_after) continue;
        std::string stale;
        for (int k = 0; k < world_; ++k)
          if (k != rank_ && beat_of(k) == first[k] && !has_left(k))
            stale += (stale.empty() ? "" : ", ") + std::to_string(k);
        if (!stale.empty()) {
          verdict = (stale.find(',') == std::string::npos ? "rank " : "ranks ") + stale +
                    " died or stopped responding (connection closed, no heartbeat for " +
                    elapsed_text(now - start) + " s)";
        } else if (now >= deadline) {
          verdict =
              "rank " + std::to_string(rank_) + ": a collective failed while every rank still beats: " + what;
        }
      }
    } catch (const std::exception&) {
      verdict = store_lost();
    }
  }
  verdict = publish(verdict);
  leave("failed");
  linger();
  return verdict;
}

std::string FailureMonitor::fail_and_leave(const std::string& what) {
  handling_ = true;
  std::string verdict = published_verdict();
  if (verdict.empty()) verdict = publish("rank " + std::to_string(rank_) + " failed: " + what);
  leave("failed");
  linger();
  return verdict;
}

void FailureMonitor::finish() {
  stop_ = true;
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  leave("done");
  if (!hosts_store_) return;
  // The others still talk to this process's store until they have left.
  const auto deadline = MonitorClock::now() + timeout_;
  try {
    for (int k = 0; k < world_; ++k) {
      while (k != rank_ && !has_left(k) && MonitorClock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } catch (const std::exception&) {
  }
}

}  // namespace draggan::dist
