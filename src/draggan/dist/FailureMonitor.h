// Noticing that a rank died or hangs, and saying which, in one line on every rank.
//
// Every rank beats (a counter in the rendezvous store, every `interval`); rank 0 watches everybody's, the
// others watch rank 0's and a shared "verdict" key. The first rank that knows what went wrong publishes the
// verdict (one sentence naming the rank) and every rank prints that same sentence and stops:
//  - a collective that breaks (a killed peer closes its sockets) is diagnosed at once: the verdict, else the
//    ranks whose beat stopped within a few intervals, else the store's loss (its host died);
//  - a peer that stops beating for `timeout` while this rank waits or computes (a hung or stopped process,
//    a lost machine) ends this process from the watchdog thread: the main thread may be blocked in a
//    collective that will not return;
//  - a rank that fails by itself (bad input) publishes its own error.
// The store's host (rank 0 without torchrun's agent store) lingers briefly after a failure so that the others
// can read the verdict before its store disappears.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <vector>

namespace draggan::dist {

class FailureMonitor {
 public:
  // `store`: a connection of the monitor's own (prefixed for this group). `store_lost`: the verdict when the
  // store stops answering (its host died: rank 0, or torchrun's agent).
  FailureMonitor(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size, bool hosts_store,
                 std::string store_lost, std::chrono::milliseconds timeout);
  ~FailureMonitor();

  void start();
  std::chrono::milliseconds interval() const { return interval_; }

  // The published verdict, if any ("" otherwise); never throws.
  std::string published_verdict();
  // What went wrong, seen from this rank after `what` (a broken collective): the verdict, else the ranks that
  // stopped beating within a short window, else the store's loss, else `what` itself. Then publishes it
  // (unless another verdict came first, which is returned instead), leaves, lingers if this rank hosts the
  // store. The watchdog stands down from then on.
  std::string diagnose_and_leave(const std::string& what);
  // This rank fails by itself: publishes "rank R failed: <what>" (or returns an earlier verdict), leaves.
  std::string fail_and_leave(const std::string& what);
  // A clean end on every rank (after a barrier): marks this rank done, stops the thread; the store's host
  // waits (bounded) until every rank is done with the store.
  void finish();

 private:
  void run();
  [[noreturn]] void die(const std::string& verdict);
  std::string publish(const std::string& verdict);
  void leave(const char* how);
  void linger();
  int64_t beat_of(int rank);
  bool has_left(int rank);
  std::string store_lost() const;

  c10::intrusive_ptr<c10d::Store> store_;
  const int rank_, world_;
  const bool hosts_store_;
  const std::string store_lost_;
  const std::chrono::milliseconds timeout_, interval_;
  std::vector<int> watched_;
  std::atomic<bool> stop_{false}, handling_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace draggan::dist
