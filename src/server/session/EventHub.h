// Server-sent events for one editor session: the drag worker publishes, each open /events connection
// (a browser tab, a script) drains its own queue. Publishing never blocks on a slow reader, and what waits
// for a reader is bounded (docs/server.md, "Event streams"):
//  - a "state" event carries the whole state, so a newer one replaces the one still waiting: a slow reader
//    gets the latest state, not every one;
//  - live progress ("step", "upload") is dropped, oldest first, for a reader that is behind;
//  - other events ("done") are kept; a queue whose events still pass limits::kStreamBacklogBytes (or
//    kStreamBacklogEvents), or whose oldest waiting event is older than kStreamMaxLag, is cut: the stream
//    ends with an "end" event giving the reason, and the page reconnects to the current state.
// A frame is formatted once and shared by every queue it waits in.
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace draggan::server {

enum class EventKind {
  latest,     // the whole state: a newer one replaces it
  droppable,  // live progress: skipped for a reader that is behind
  kept,       // delivered, or the stream is cut
};

using EventFrame = std::shared_ptr<const std::string>;

class EventQueue {
 public:
  // Waits up to `timeout` for the next event, already formatted as an SSE frame. False on timeout or close.
  bool pop(EventFrame& frame, std::chrono::milliseconds timeout);
  void push(const EventFrame& frame, EventKind kind);
  void close();
  bool closed() const;
  // Why the queue was cut ("" when it was closed, or is open).
  std::string cut_reason() const;
  size_t backlog_bytes() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    EventFrame frame;
    EventKind kind;
    Clock::time_point since;  // when the reader first had this (or an event it replaced) waiting
  };
  void cut_locked(std::string reason);

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Item> items_;
  size_t bytes_ = 0;
  bool closed_ = false;
  std::string cut_reason_;
};

class EventHub {
 public:
  std::shared_ptr<EventQueue> subscribe();
  void publish(const std::string& event, const nlohmann::json& data, EventKind kind = EventKind::kept);
  void close_all();
  size_t subscriber_count();

  static std::string format(const std::string& event, const nlohmann::json& data);

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<EventQueue>> subscribers_;
};

}  // namespace draggan::server
