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
//
// With a session store (`store`, docs/cluster.md) several replicas share the sessions, and the store replaces
// the spill directory: this replica holds a lease on each session it has in memory, commits a session after
// every request that changed it and after every drag step (SessionJournal), and gives a session back to the
// store (commit, then release the lease) where it would otherwise spill it. A session it does not have is
// taken over from the store (NotFoundError when the store has none; SessionElsewhere while another replica
// that is alive drives it); a running drag is carried on from its last committed step. A keeper thread renews
// the leases, retries commits that failed while the store was down, and drops a session whose lease another
// replica has taken. At shutdown (drain) running drags are suspended at a step boundary rather than finished,
// and every session is committed and its lease released at once, so other replicas carry them on. The store
// code is in SessionManagerStore.cpp.
#pragma once
#include <algorithm>
#include <atomic>
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
#include "server/session/SessionJournal.h"
#include "server/ModelRegistry.h"
#include "server/store/SessionStore.h"

namespace draggan::server {

struct SessionPolicy {
  std::chrono::seconds idle_window{60};
  std::chrono::seconds expiry{600};
  size_t max_live = 128;
  uint64_t live_bytes = uint64_t{1} << 30;
  std::string spill_dir;  // "" = nothing is spilled: a full server refuses new sessions
  uint64_t spill_bytes = uint64_t{512} << 20;
  size_t max_spilled = 4096;
  bool ai_mark = true;  // sessions stamp "AI Generated" on the images they show and save (EditorSession.h)
  std::shared_ptr<SessionStore> store;  // null: one process, idle sessions spilled to spill_dir
  // At shutdown, every session (spilled ones read back first) before it is closed. Unset: nothing is kept.
  std::function<void(const std::string& id, EditorSession& session)> hand_over;
};

class SessionManager : private SessionJournal {
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
  // After a request on the session: commits it to the store if it changed (nothing without a store).
  // StoreUnavailable when the store cannot take it (the change stays in memory and is committed later).
  void save(Lease& lease);
  // The store can be used (always true without one); `why` says why not.
  bool ready(std::string& why);

  struct Counts {
    size_t live = 0, spilled = 0;
    uint64_t live_bytes = 0, spill_bytes = 0;
  };
  Counts counts();
  SessionStore* store() const { return policy_.store.get(); }

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
    // With a store: this replica's lease on the session, until when it is surely still ours, and the session
    // version last committed (commits of one session go one at a time, in order).
    StoreLease lease;
    std::atomic<Clock::rep> lease_valid_until{0};  // steady_clock ticks
    std::atomic<uint64_t> committed_version{0};
    std::atomic<bool> lost{false};  // another replica took it over: the keeper drops it
    std::mutex commit_mutex;
  };

  bool open_locked(const Entry& e, Clock::time_point now) const;
  Clock::time_point last_activity_locked(const Entry& e) const;
  // True when one more session fits under `cap` in memory (after spilling idle ones); may release `lock`.
  bool make_room(std::unique_lock<std::mutex>& lock, size_t cap);
  bool spill(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry);
  std::string room_refusal_locked() const;
  uint64_t session_cap() const { return std::max<uint64_t>(policy_.live_bytes / 4, 1); }
  void release(Entry& entry);

  // --- with a store (SessionManagerStore.cpp)
  Lease adopt_from_store(std::unique_lock<std::mutex>& lock, const std::string& id);
  void store_new(const std::shared_ptr<Entry>& entry);
  // The session's lease, renewed first when it may have lapsed; drops the session and returns false when
  // another replica has it now.
  bool confirm_lease(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry);
  void lease_renewed(Entry& entry, Clock::time_point sent);
  // Commits the session if it changed (or `force`). Returns the fence; StoreUnavailable propagates.
  Fence commit(Entry& entry, bool force);
  bool hand_back(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry);
  void drop(const std::shared_ptr<Entry>& entry);
  void remove_stored(std::unique_lock<std::mutex>& lock, const std::string& id);
  void keep_leases();
  void drain();
  std::shared_ptr<Entry> entry_of(const EditorSession& session);
  Verdict drag_step(EditorSession& session, const std::string& checkpoint, std::string& error) override;
  void finished(EditorSession& session) override;

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
  std::thread keeper_;  // with a store: renews leases every lease_ttl / 4
  std::atomic<bool> store_outage_{false};  // the store could not be reached since the last renewal
  bool drained_ = false;                    // every session handed over to the store (once)
};

}  // namespace draggan::server
