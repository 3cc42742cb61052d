#include "server/SessionManager.h"

#include <random>
#include <sstream>
#include <vector>

#include "draggan/core/Log.h"
#include "server/HttpError.h"

namespace draggan::server {
namespace {

std::string new_session_id() {
  static std::mutex mutex;
  static std::random_device device;
  std::lock_guard<std::mutex> lock(mutex);
  std::ostringstream out;
  out << std::hex;
  for (int i = 0; i < 4; ++i) out << static_cast<uint32_t>(device());
  return out.str();
}

}  // namespace

SessionManager::SessionManager(std::shared_ptr<ModelRegistry> models, std::chrono::seconds idle_timeout,
                               size_t max_sessions)
    : models_(std::move(models)), idle_timeout_(idle_timeout), max_sessions_(max_sessions) {
  reaper_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto period = std::min<std::chrono::seconds>(std::chrono::seconds(10),
                                                       std::max<std::chrono::seconds>(idle_timeout_ / 4,
                                                                                      std::chrono::seconds(1)));
    while (!stopping_) {
      wake_.wait_for(lock, period, [this] { return stopping_; });
      if (stopping_) break;
      lock.unlock();
      reap();
      lock.lock();
    }
  });
}

SessionManager::~SessionManager() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  close_all();
}

std::shared_ptr<EditorSession> SessionManager::create(const nlohmann::json& request) {
  std::shared_ptr<EditorSession> evicted;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (sessions_.size() >= max_sessions_) {
      // Make room by freeing the session unused for longest, unless it is dragging.
      auto oldest = sessions_.end();
      for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
        if (!it->second->running() && (oldest == sessions_.end() || it->second->last_used() < oldest->second->last_used()))
          oldest = it;
      if (oldest == sessions_.end())
        throw HttpError(503, "too many sessions are dragging (" + std::to_string(max_sessions_) + "); try again later");
      evicted = oldest->second;
      sessions_.erase(oldest);
    }
  }
  if (evicted) {
    log::info("session ", evicted->id(), " freed to make room");
    evicted->close();
  }
  // Built outside the lock: it may load a model and render the first image.
  auto session = std::make_shared<EditorSession>(new_session_id(), models_, request);
  std::lock_guard<std::mutex> lock(mutex_);
  sessions_[session->id()] = session;
  log::debug("session ", session->id(), " created (", sessions_.size(), " open)");
  return session;
}

std::shared_ptr<EditorSession> SessionManager::get(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end())
    throw NotFoundError("unknown session \"" + id + "\" (it may have expired; create a new one with POST /api/sessions)");
  it->second->touch();
  return it->second;
}

void SessionManager::remove(const std::string& id) {
  std::shared_ptr<EditorSession> session;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) throw NotFoundError("unknown session \"" + id + "\"");
    session = it->second;
    sessions_.erase(it);
  }
  session->close();
}

size_t SessionManager::size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return sessions_.size();
}

void SessionManager::reap() {
  std::vector<std::shared_ptr<EditorSession>> expired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      // An open event stream (a tab still showing the session) keeps it alive.
      if (!it->second->has_listeners() && now - it->second->last_used() > idle_timeout_) {
        expired.push_back(it->second);
        it = sessions_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& session : expired) {
    log::info("session ", session->id(), " freed after ", idle_timeout_.count(), " s idle");
    session->close();
  }
}

void SessionManager::close_all() {
  std::map<std::string, std::shared_ptr<EditorSession>> all;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    all.swap(sessions_);
  }
  for (auto& [id, session] : all) session->close();
}

}  // namespace draggan::server
