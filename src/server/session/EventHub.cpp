#include "server/session/EventHub.h"

#include <algorithm>

#include "server/ServerLimits.h"

namespace draggan::server {

bool EventQueue::pop(EventFrame& frame, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; });
  if (items_.empty()) return false;
  frame = std::move(items_.front().frame);
  bytes_ -= frame->size();
  items_.pop_front();
  return true;
}

void EventQueue::push(const EventFrame& frame, EventKind kind) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    const auto now = Clock::now();
    Clock::time_point since = now;
    if (kind == EventKind::latest) {
      for (auto it = items_.begin(); it != items_.end();) {
        if (it->kind != EventKind::latest) {
          ++it;
          continue;
        }
        since = std::min(since, it->since);
        bytes_ -= it->frame->size();
        it = items_.erase(it);
      }
    }
    items_.push_back({frame, kind, since});
    bytes_ += frame->size();
    while (bytes_ > limits::kStreamBacklogBytes || items_.size() > limits::kStreamBacklogEvents) {
      auto victim = std::find_if(items_.begin(), items_.end(), [](const Item& i) { return i.kind == EventKind::droppable; });
      if (victim == items_.end()) {
        cut_locked("the stream fell behind: " + std::to_string(bytes_ / 1024) + " kB of events were waiting");
        break;
      }
      bytes_ -= victim->frame->size();
      items_.erase(victim);
    }
    if (!closed_ && !items_.empty() && now - items_.front().since > limits::kStreamMaxLag)
      cut_locked("the stream fell behind: its oldest event waited more than " +
                 std::to_string(std::chrono::duration_cast<std::chrono::seconds>(limits::kStreamMaxLag).count()) + " s");
  }
  ready_.notify_all();
}

void EventQueue::cut_locked(std::string reason) {
  items_.clear();
  bytes_ = 0;
  closed_ = true;
  cut_reason_ = std::move(reason);
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

std::string EventQueue::cut_reason() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cut_reason_;
}

size_t EventQueue::backlog_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
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

void EventHub::publish(const std::string& event, const nlohmann::json& data, EventKind kind) {
  const EventFrame frame = std::make_shared<const std::string>(format(event, data));
  std::lock_guard<std::mutex> lock(mutex_);
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [](const std::weak_ptr<EventQueue>& w) { return w.expired(); }),
                     subscribers_.end());
  for (auto& weak : subscribers_)
    if (auto queue = weak.lock()) queue->push(frame, kind);
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
