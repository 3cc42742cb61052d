// Server-sent events for one editor session: the drag worker publishes, each open /events connection
// (a browser tab, a script) drains its own queue. Publishing never blocks on a slow reader: a reader that
// falls behind loses intermediate step events, never the final "done".
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

class EventQueue {
 public:
  // Waits up to `timeout` for the next event, already formatted as an SSE frame. False on timeout or close.
  bool pop(std::string& frame, std::chrono::milliseconds timeout);
  void push(std::string frame, bool droppable);
  void close();
  bool closed() const;

 private:
  struct Item {
    std::string frame;
    bool droppable;
  };
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Item> items_;
  bool closed_ = false;
};

class EventHub {
 public:
  std::shared_ptr<EventQueue> subscribe();
  // `droppable` events (live steps) may be skipped for readers that are far behind.
  void publish(const std::string& event, const nlohmann::json& data, bool droppable = false);
  void close_all();
  size_t subscriber_count();

  static std::string format(const std::string& event, const nlohmann::json& data);

 private:
  std::mutex mutex_;
  std::vector<std::weak_ptr<EventQueue>> subscribers_;
};

}  // namespace draggan::server
