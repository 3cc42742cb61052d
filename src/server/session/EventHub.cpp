#include "server/session/EventHub.h"

#include <algorithm>

namespace draggan::server {
namespace {
constexpr size_t kMaxQueued = 32;
}

bool EventQueue::pop(std::string& frame, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; });
  if (items_.empty()) return false;
  frame = std::move(items_.front().frame);
  items_.pop_front();
  return true;
}

void EventQueue::push(std::string frame, bool droppable) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (items_.size() >= kMaxQueued) {
      auto victim = std::find_if(items_.begin(), items_.end(), [](const Item& i) { return i.droppable; });
      if (victim != items_.end()) {
        items_.erase(victim);
      } else if (droppable) {
        return;
      }
    }
    items_.push_back({std::move(frame), droppable});
  }
  ready_.notify_all();
}

void EventQueue::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool EventQueue::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

std::shared_ptr<EventQueue> EventHub::subscribe() {
  auto queue = std::make_shared<EventQueue>();
  std::lock_guard<std::mutex> lock(mutex_);
  subscribers_.push_back(queue);
  return queue;
}

std::string EventHub::format(const std::string& event, const nlohmann::json& data) {
  // dump() never emits raw newlines, so the payload fits on one "data:" line.
  return "event: " + event + "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
         "\n\n";
}

void EventHub::publish(const std::string& event, const nlohmann::json& data, bool droppable) {
  const std::string frame = format(event, data);
  std::lock_guard<std::mutex> lock(mutex_);
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [](const std::weak_ptr<EventQueue>& w) { return w.expired(); }),
                     subscribers_.end());
  for (auto& weak : subscribers_)
    if (auto queue = weak.lock()) queue->push(frame, droppable);
}

void EventHub::close_all() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& weak : subscribers_)
    if (auto queue = weak.lock()) queue->close();
  subscribers_.clear();
}

size_t EventHub::subscriber_count() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::count_if(subscribers_.begin(), subscribers_.end(),
                       [](const std::weak_ptr<EventQueue>& w) { return !w.expired(); });
}

}  // namespace draggan::server
