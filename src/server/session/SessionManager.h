// All editor sessions of one server, looked up by an unguessable id. Nothing a user did is thrown away to
// make room for someone else:
//  - A session is *open* while an event stream of it is connected (its page is showing), a request on it is
//    being answered, a drag or upload runs, or its last request is less than `idle_window` old. Open
//    sessions are never evicted.
//  - At most `max_live` sessions (and `live_bytes` of their estimated memory) stay in memory. When a new or
//    returning session needs room, the least recently used session that is not open is written whole to the
//    spill directory and freed; its next request brings it back as it was, under the same id. When no
//    session can be spilled (all open, or the spill directory is full), the *new* request is refused with
//    503 and a reason. The count holds under parallel requests: room is reserved before a session is built.
//    A session coming back from disk may go a little over the cap (a quarter, at least 2), so that its user
//    is not locked out by a burst of new sessions.
//  - A session with no page and no request for `expiry` is deleted, from memory or from disk.
//  - One session may hold at most a quarter of `live_bytes`: its oldest undo history goes beyond that (its
//    estimate counts everything the history keeps; identical weights are shared, not copied).
//  - The spill directory is bounded (`spill_bytes`, `max_spilled` files) and removed when the manager goes.
//  - Shutdown is two steps: begin_shutdown() refuses new work and stops drags at a step boundary;
//    finish_shutdown(), once no request runs, hands every session to `hand_over` (a session store), then
//    closes them all and removes the spill directory.
#pragma once
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "server/session/EditorSession.h"
#include "server/ModelRegistry.h"

namespace draggan::server {

struct SessionPolicy {
  std::chrono::seconds idle_window{60};
  std::chrono::seconds expiry{600};
  size_t max_live = 128;
  uint64_t live_bytes = uint64_t{1} << 30;
  std::string spill_dir;  // "" = nothing is spilled: a full server refuses new sessions
  uint64_t spill_bytes = uint64_t{512} << 20;
  size_t max_spilled = 4096;
  // At shutdown, every session (spilled ones read back first) before it is closed. Unset: nothing is kept.
  std::function<void(const std::string& id, EditorSession& session)> hand_over;
  bool ai_mark = true;  // sessions stamp "AI Generated" on the images they show and save (EditorSession.h)
};

class SessionManager {
  struct Entry;

 public:
  // A session in use by one request: it is open (never spilled) until the lease is gone.
  class Lease {
   public:
    Lease(SessionManager* manager, std::shared_ptr<Entry> entry, std::shared_ptr<EditorSession> session);
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    EditorSession* operator->() const { return session_.get(); }
    EditorSession& operator*() const { return *session_; }

   private:
    SessionManager* manager_;
    std::shared_ptr<Entry> entry_;
    std::shared_ptr<EditorSession> session_;
  };

  SessionManager(std::shared_ptr<ModelRegistry> models, SessionPolicy policy);
  ~SessionManager();

  // HttpError 503 when there is no room (see above).
  Lease create(const nlohmann::json& request);
  // Brings a spilled session back first. NotFoundError for an unknown (or expired) id; 503 when there is
  // no room to bring it back right now.
  Lease get(const std::string& id);
  void remove(const std::string& id);

  struct Counts {
    size_t live = 0, spilled = 0;
    uint64_t live_bytes = 0, spill_bytes = 0;
  };
  Counts counts();

  // Deletes expired sessions; called by the reaper thread, public for tests.
  void reap();
  // Server shutdown, step 1: create() and get() answer 503 from now on; every running drag or upload is asked
  // to stop and has ended its current step when this returns.
  void begin_shutdown();
  // Step 2, when no request runs any more: each session goes through policy.hand_over (if set), then
  // close_all(). Idempotent.
  void finish_shutdown();
  // Stops every drag, closes every event stream, deletes every spill file.
  void close_all();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string id;
    std::shared_ptr<EditorSession> live;  // null while on disk
    std::string spill_path;
    uint64_t spill_bytes = 0;
    bool moving = false;  // being written to disk or read back: others wait
    int leases = 0;
    Clock::time_point last_used;
  };

  bool open_locked(const Entry& e, Clock::time_point now) const;
  Clock::time_point last_activity_locked(const Entry& e) const;
  // True when one more session fits under `cap` in memory (after spilling idle ones); may release `lock`.
  bool make_room(std::unique_lock<std::mutex>& lock, size_t cap);
  bool spill(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry);
  std::string room_refusal_locked() const;
  uint64_t session_cap() const { return std::max<uint64_t>(policy_.live_bytes / 4, 1); }
  void release(Entry& entry);

  std::shared_ptr<ModelRegistry> models_;
  SessionPolicy policy_;
  std::mutex mutex_;
  std::condition_variable changed_;  // an entry stopped moving
  std::map<std::string, std::shared_ptr<Entry>> entries_;
  size_t reserved_ = 0;  // sessions being built or read back: counted as live
  uint64_t spilled_bytes_ = 0;
  size_t spilled_count_ = 0;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool handed_over_ = false;
  std::thread reaper_;
};

}  // namespace draggan::server
