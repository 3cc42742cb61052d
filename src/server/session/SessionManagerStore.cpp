// SessionManager with a session store (SessionManager.h, docs/cluster.md): leases, commits, takeover, drain.
#include <algorithm>

#include "draggan/core/Log.h"
#include "server/http/HttpError.h"
#include "server/session/SessionManager.h"
#include "server/store/StoreError.h"

namespace draggan::server {
namespace {

// A lease renewed at t is surely ours until t + ttl minus this share of it: the rest covers a renewal that is
// late (a busy machine) and the clocks of this process and of the store ticking at slightly different rates.
constexpr double kLeaseTrust = 0.75;

}  // namespace

void SessionManager::lease_renewed(Entry& entry, Clock::time_point sent) {
  const auto trusted = std::chrono::duration_cast<Clock::duration>(policy_.store->lease_ttl() * kLeaseTrust);
  entry.lease_valid_until = (sent + trusted).time_since_epoch().count();
}

std::shared_ptr<SessionManager::Entry> SessionManager::entry_of(const EditorSession& session) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(session.id());
  if (it == entries_.end() || it->second->live.get() != &session || it->second->lost) return nullptr;
  return it->second;
}

void SessionManager::store_new(const std::shared_ptr<Entry>& entry) {
  SessionStore& store = *policy_.store;
  EditorSession& session = *entry->live;
  session.set_journal(this);
  const uint64_t version = session.version();
  SessionRecord record = session.record();
  store.put_blobs(record.new_blobs);  // a new session's parts are new (identical images are stored once anyway)
  const auto sent = Clock::now();
  entry->lease = store.create(entry->id, record.doc, record.blob_refs);
  lease_renewed(*entry, sent);
  entry->committed_version = version;
}

SessionManager::Lease SessionManager::adopt_from_store(std::unique_lock<std::mutex>& lock, const std::string& id) {
  if (stopping_) throw HttpError(503, "the server is shutting down");
  SessionStore& store = *policy_.store;
  // Room first, as for a session coming back from disk: another idle one may go back to the store.
  const size_t cap = policy_.max_live + std::max<size_t>(2, policy_.max_live / 4);
  if (!make_room(lock, cap)) throw HttpError(503, room_refusal_locked());
  // Two requests for the same session: the second waits for the first to bring it in.
  auto placeholder = std::make_shared<Entry>();
  placeholder->id = id;
  placeholder->moving = true;
  placeholder->last_used = Clock::now();
  if (!entries_.emplace(id, placeholder).second) {  // another request brought it in while room was made
    lock.unlock();
    Lease lease = get(id);
    lock.lock();
    return lease;
  }
  ++reserved_;
  lock.unlock();
  std::shared_ptr<EditorSession> session;
  StoredSession stored;
  std::exception_ptr failure;
  const auto sent = Clock::now();
  try {
    // A holder that stopped renewing (killed, frozen, cut off) is waited out: its lease lapses within a TTL.
    stored = store.acquire(id, store.lease_ttl() + std::chrono::milliseconds(1000));
    try {
      session = EditorSession::from_record(
          id, models_, stored.doc, [&store](const std::vector<std::string>& hashes) { return store.get_blobs(hashes); },
          policy_.ai_mark);
    } catch (...) {
      try {
        store.release(id, stored.lease);  // someone else may manage what this replica cannot
      } catch (const std::exception&) {
      }
      throw;
    }
  } catch (...) {
    failure = std::current_exception();
  }
  lock.lock();
  --reserved_;
  placeholder->moving = false;
  changed_.notify_all();
  if (failure) {
    entries_.erase(id);
    std::rethrow_exception(failure);
  }
  session->set_journal(this);
  placeholder->live = session;
  placeholder->lease = stored.lease;
  lease_renewed(*placeholder, sent);
  placeholder->committed_version = session->version();
  placeholder->leases = 1;
  placeholder->last_used = Clock::now();
  log::info("session ", id, " taken over from the store (lease ", stored.lease.value, ")");
  lock.unlock();
  session->resume(stored.drag);  // a drag or upload that was running goes on here
  lock.lock();
  return Lease(this, placeholder, session);
}

bool SessionManager::confirm_lease(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry) {
  // While the store is known to be out, a lease still within its trusted time is asked about all the same: a
  // request must get its 503 before it changes the session, not after (the change would stay in memory while
  // the client, and HAProxy's retry-on 503, take it for not done and send it again).
  if (!entry->lost && !store_outage_ && Clock::now().time_since_epoch().count() < entry->lease_valid_until)
    return true;
  if (!entry->lost) {
    // Maybe lapsed (this process was paused, or the keeper could not reach the store): ask.
    const StoreLease lease = entry->lease;
    ++entry->leases;  // nobody moves it meanwhile
    lock.unlock();
    const auto sent = Clock::now();
    Fence fence = Fence::Lost;
    std::exception_ptr failure;
    try {
      fence = policy_.store->renew(entry->id, lease, store_outage_);
    } catch (...) {
      store_outage_ = true;
      failure = std::current_exception();
    }
    lock.lock();
    --entry->leases;
    if (failure) std::rethrow_exception(failure);
    if (fence != Fence::Lost) {
      lease_renewed(*entry, sent);
      if (fence == Fence::Reseeded) entry->committed_version = 0;  // the keeper commits it whole
      return true;
    }
    entry->lost = true;
  }
  lock.unlock();
  drop(entry);
  lock.lock();
  return false;
}

void SessionManager::drop(const std::shared_ptr<Entry>& entry) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(entry->id);
    if (it != entries_.end() && it->second == entry) entries_.erase(it);
  }
  changed_.notify_all();
  // Its streams end: the pages reconnect, through the load balancer, to the replica that has it now.
  log::info("session ", entry->id, " is driven by another replica now: dropped here");
  if (entry->live) entry->live->hand_over();
}

Fence SessionManager::commit(Entry& entry, bool force) {
  std::lock_guard<std::mutex> guard(entry.commit_mutex);
  const std::shared_ptr<EditorSession> session = entry.live;
  if (!session) return Fence::Held;
  SessionStore& store = *policy_.store;
  for (int attempt = 0;; ++attempt) {
    const uint64_t version = session->version();
    if (!force && version == entry.committed_version) return Fence::Held;
    SessionRecord record = session->record();
    if (!record.new_blobs.empty()) {
      std::vector<std::string> hashes;
      for (const auto& [hash, bytes] : record.new_blobs) hashes.push_back(hash);
      std::map<std::string, std::string> missing;
      for (const auto& hash : store.missing_blobs(hashes)) missing[hash] = std::move(record.new_blobs[hash]);
      store.put_blobs(missing);
    }
    StoreCommit c;
    c.doc = &record.doc;
    c.clear_drag = !record.running;
    c.blob_refs = record.blob_refs;
    const auto sent = Clock::now();
    const Fence fence = store.commit(entry.id, entry.lease, c);
    if (fence == Fence::Held) {
      entry.committed_version = version;
      lease_renewed(entry, sent);
      return fence;
    }
    if (fence == Fence::Lost || attempt > 0) return fence;
    // The store had forgotten the session (restarted empty): every part again, then the document.
    log::warn("session ", entry.id, ": the store had lost it; committing it whole again");
    session->forget_stored_parts();
    force = true;
  }
}

void SessionManager::save(Lease& lease) {
  if (!policy_.store) return;
  std::shared_ptr<Entry> entry = entry_of(*lease);
  if (!entry) return;  // dropped meanwhile: its new holder has the last committed state
  Fence fence = Fence::Held;
  try {
    fence = commit(*entry, false);
  } catch (const StoreUnavailable& e) {
    if (e.reason == "store_unavailable") store_outage_ = true;  // the next requests ask it before changing anything
    throw;
  }
  if (fence == Fence::Lost) {
    entry->lost = true;
    drop(entry);
    throw SessionElsewhere("held_elsewhere", "",
                           "session " + entry->id + " was taken over by another replica while this request ran; "
                           "this change is not saved (reload the page)");
  }
}

bool SessionManager::hand_back(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry) {
  entry->moving = true;
  lock.unlock();
  bool ok = false;
  try {
    if (commit(*entry, false) != Fence::Lost) policy_.store->release(entry->id, entry->lease);
    ok = true;
  } catch (const std::exception& e) {
    log::warn("session ", entry->id, ": cannot give it back to the store: ", e.what());
  }
  lock.lock();
  entry->moving = false;
  if (ok) entries_.erase(entry->id);
  changed_.notify_all();
  if (ok) {
    lock.unlock();
    entry->live->close();
    log::debug("session ", entry->id, " given back to the store to make room");
    lock.lock();
  }
  return ok;
}

void SessionManager::remove_stored(std::unique_lock<std::mutex>& lock, const std::string& id) {
  auto it = entries_.find(id);
  std::shared_ptr<Entry> entry = it == entries_.end() ? nullptr : it->second;
  if (entry && entry->moving) {
    changed_.wait(lock);
    return remove_stored(lock, id);
  }
  if (entry) entries_.erase(id);
  lock.unlock();
  if (entry && entry->live) entry->live->close();
  StoreLease lease;
  if (entry) {
    lease = entry->lease;
  } else {
    // Not here: take the lease (waiting out a dead holder) to delete it.
    lease = policy_.store->acquire(id, policy_.store->lease_ttl() + std::chrono::milliseconds(1000)).lease;
  }
  if (policy_.store->remove(id, lease) == Fence::Lost)
    throw SessionElsewhere("held_elsewhere", "", "session " + id + " is driven by another replica now");
  lock.lock();
}

SessionJournal::Verdict SessionManager::drag_step(EditorSession& session, const std::string& checkpoint,
                                                  std::string& error) {
  std::shared_ptr<Entry> entry = entry_of(session);
  if (!entry) return Verdict::Lost;
  try {
    std::unique_lock<std::mutex> guard(entry->commit_mutex);
    StoreCommit c;
    c.drag = &checkpoint;
    const auto sent = Clock::now();
    const Fence fence = policy_.store->commit(entry->id, entry->lease, c);
    if (fence == Fence::Lost) {
      entry->lost = true;  // the keeper drops it
      return Verdict::Lost;
    }
    lease_renewed(*entry, sent);
    if (fence == Fence::Reseeded) {
      guard.unlock();
      session.forget_stored_parts();
      commit(*entry, true);
    }
    return Verdict::Carry;
  } catch (const std::exception& e) {
    store_outage_ = true;
    error = e.what();
    return Verdict::Unavailable;
  }
}

void SessionManager::finished(EditorSession& session) {
  std::shared_ptr<Entry> entry = entry_of(session);
  if (!entry) return;
  try {
    if (commit(*entry, false) == Fence::Lost) entry->lost = true;
  } catch (const std::exception& e) {
    log::warn("session ", entry->id, ": the finished task is not committed yet (", e.what(), "); retrying");
  }
}

bool SessionManager::ready(std::string& why) {
  if (!policy_.store) return true;
  if (policy_.store->ping()) return true;
  why = "the session store " + policy_.store->describe() + " is unavailable (" + policy_.store->last_error() + ")";
  return false;
}

void SessionManager::keep_leases() {
  SessionStore& store = *policy_.store;
  const auto period = std::max<std::chrono::milliseconds>(store.lease_ttl() / 4, std::chrono::milliseconds(50));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, period, [this] { return stopping_; });
    if (stopping_) break;
    std::vector<std::shared_ptr<Entry>> held, lost;
    for (const auto& [id, e] : entries_) {
      if (e->lost) lost.push_back(e);
      else if (e->live && !e->moving) held.push_back(e);
    }
    lock.unlock();
    for (const auto& e : lost) drop(e);
    std::vector<std::pair<std::string, StoreLease>> leases;
    for (const auto& e : held) leases.emplace_back(e->id, e->lease);
    const auto sent = Clock::now();
    std::vector<Fence> fences;
    try {
      fences = store.renew_all(leases, store_outage_);
      store_outage_ = false;
    } catch (const std::exception&) {
      store_outage_ = true;  // the pool logs the outage once; the next round tries again
    }
    for (size_t i = 0; i < fences.size(); ++i) {
      Entry& e = *held[i];
      if (fences[i] == Fence::Lost) {
        e.lost = true;
        drop(held[i]);
        continue;
      }
      lease_renewed(e, sent);
      // A store that forgot the session gets it whole; a change that could not be committed is retried.
      try {
        if (fences[i] == Fence::Reseeded) {
          e.live->forget_stored_parts();
          commit(e, true);
        } else if (e.live->version() != e.committed_version && !e.live->running()) {
          commit(e, false);
        }
      } catch (const std::exception& ex) {
        log::debug("session ", e.id, ": commit retried later: ", ex.what());
      }
    }
    lock.lock();
  }
}

void SessionManager::drain() {
  std::vector<std::shared_ptr<Entry>> held;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (drained_) return;
    drained_ = true;
    stopping_ = true;
    changed_.wait(lock, [this] {
      for (const auto& [id, e] : entries_)
        if (e->moving) return false;
      return true;
    });
    for (const auto& [id, e] : entries_)
      if (e->live && !e->lost) held.push_back(e);
  }
  wake_.notify_all();
  // Every running drag stops at a step boundary, all at once, with that step committed; its record still says
  // it runs, so the replica that takes the session next carries it on.
  for (const auto& e : held) e->live->request_handover();
  size_t given = 0;
  for (const auto& e : held) {
    e->live->hand_over();
    try {
      commit(*e, false);
      policy_.store->release(e->id, e->lease);
      ++given;
    } catch (const std::exception& ex) {
      log::warn("session ", e->id, ": not handed over (", ex.what(), "); another replica takes it when its lease lapses");
    }
  }
  if (!held.empty()) log::info("handed ", given, " of ", held.size(), " sessions over to the store");
}

}  // namespace draggan::server
