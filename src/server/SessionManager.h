// All editor sessions of one server: created per browser tab (or script), looked up by an unguessable id,
// freed when idle for longer than the timeout (a closed tab stops touching its session) or when too many.
#pragma once
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server/EditorSession.h"
#include "server/ModelRegistry.h"

namespace draggan::server {

class SessionManager {
 public:
  SessionManager(std::shared_ptr<ModelRegistry> models, std::chrono::seconds idle_timeout, size_t max_sessions);
  ~SessionManager();

  std::shared_ptr<EditorSession> create(const nlohmann::json& request);
  // Throws NotFoundError for an unknown (or expired) id; marks the session as used.
  std::shared_ptr<EditorSession> get(const std::string& id);
  void remove(const std::string& id);
  size_t size();

  // Frees sessions idle longer than the timeout; called by the reaper thread, public for tests.
  void reap();
  // Stops every drag and closes every event stream (server shutdown).
  void close_all();

 private:
  std::shared_ptr<ModelRegistry> models_;
  std::chrono::seconds idle_timeout_;
  size_t max_sessions_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<EditorSession>> sessions_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace draggan::server
