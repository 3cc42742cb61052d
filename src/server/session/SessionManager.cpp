#include "server/session/SessionManager.h"

#include <algorithm>
#include <filesystem>
#include <random>
#include <sstream>
#include <vector>

#include "draggan/core/Log.h"
#include "server/http/HttpError.h"

namespace draggan::server {
namespace {
namespace fs = std::filesystem;

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

SessionManager::Lease::Lease(SessionManager* manager, std::shared_ptr<Entry> entry,
                             std::shared_ptr<EditorSession> session)
    : manager_(manager), entry_(std::move(entry)), session_(std::move(session)) {}

SessionManager::Lease::~Lease() {
  if (manager_ && entry_) manager_->release(*entry_);
}

void SessionManager::release(Entry& entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  --entry.leases;
  entry.last_used = Clock::now();
}

SessionManager::SessionManager(std::shared_ptr<ModelRegistry> models, SessionPolicy policy)
    : models_(std::move(models)), policy_(std::move(policy)) {
  if (!policy_.spill_dir.empty()) {
    // Sessions are the users' work: the folder is the server user's alone.
    std::error_code ec;
    fs::create_directories(policy_.spill_dir, ec);
    if (!ec) fs::permissions(policy_.spill_dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
      log::warn("cannot use ", policy_.spill_dir, " for idle sessions (", ec.message(),
                "): a full server refuses new sessions instead");
      policy_.spill_dir.clear();
    }
  }
  reaper_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto period = std::min<std::chrono::seconds>(
        std::chrono::seconds(10), std::max<std::chrono::seconds>(policy_.expiry / 4, std::chrono::seconds(1)));
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

SessionManager::Clock::time_point SessionManager::last_activity_locked(const Entry& e) const {
  // The drag worker touches its session at every step; requests touch the entry.
  return e.live ? std::max(e.last_used, e.live->last_used()) : e.last_used;
}

bool SessionManager::open_locked(const Entry& e, Clock::time_point now) const {
  if (!e.live || e.moving) return e.moving;
  return e.leases > 0 || e.live->running() || e.live->has_listeners() ||
         now - last_activity_locked(e) < policy_.idle_window;
}

std::string SessionManager::room_refusal_locked() const {
  size_t live = reserved_;
  uint64_t bytes = 0;
  for (const auto& [id, e] : entries_)
    if (e->live) {
      ++live;
      bytes += e->live->approx_bytes();
    }
  const std::string why =
      bytes > policy_.live_bytes
          ? "the sessions in memory take " + std::to_string(bytes >> 20) + " MB, more than the " +
                std::to_string(policy_.live_bytes >> 20) + " MB allowed (--session-memory-mb), and"
          : std::to_string(live) + " sessions are in memory (--max-sessions " + std::to_string(policy_.max_live) +
                ") and";
  return "the server is full: " + why + " none of them can be moved to disk" +
         (policy_.spill_dir.empty() ? std::string(" (no spill folder)")
                                    : std::string(" (they have open pages or recent requests, or the spill folder is full)")) +
         "; try again in a minute, or close an editor tab";
}

bool SessionManager::make_room(std::unique_lock<std::mutex>& lock, size_t cap) {
  for (;;) {
    size_t live = reserved_;
    uint64_t bytes = 0;
    for (const auto& [id, e] : entries_)
      if (e->live) {
        ++live;
        bytes += e->live->approx_bytes();
      }
    if (live < cap && bytes <= policy_.live_bytes) return true;
    if (policy_.spill_dir.empty()) return false;
    // The session unused for longest among those no page or request holds.
    const auto now = Clock::now();
    std::shared_ptr<Entry> victim;
    for (const auto& [id, e] : entries_)
      if (e->live && !open_locked(*e, now) &&
          (!victim || last_activity_locked(*e) < last_activity_locked(*victim)))
        victim = e;
    if (!victim || !spill(lock, victim)) return false;
  }
}

bool SessionManager::spill(std::unique_lock<std::mutex>& lock, const std::shared_ptr<Entry>& entry) {
  if (spilled_count_ >= policy_.max_spilled || spilled_bytes_ >= policy_.spill_bytes) return false;
  entry->moving = true;
  const std::shared_ptr<EditorSession> session = entry->live;
  const std::string path = (fs::path(policy_.spill_dir) / (entry->id + ".session")).string();
  lock.unlock();
  uint64_t size = 0;
  bool ok = false;
  try {
    session->write_spill(path);
    size = fs::file_size(path);
    ok = true;
  } catch (const std::exception& e) {
    log::warn("session ", entry->id, ": cannot move it to disk: ", e.what());
    std::error_code ec;
    fs::remove(path, ec);
  }
  lock.lock();
  if (ok && spilled_bytes_ + size > policy_.spill_bytes) {
    std::error_code ec;
    fs::remove(path, ec);
    ok = false;
  }
  if (ok) {
    entry->live.reset();
    entry->spill_path = path;
    entry->spill_bytes = size;
    spilled_bytes_ += size;
    ++spilled_count_;
  }
  entry->moving = false;
  changed_.notify_all();
  if (ok) {
    lock.unlock();
    session->close();  // idle: no worker to join, no stream to end
    log::info("session ", entry->id, " moved to disk (", size / 1024, " kB) to make room");
    lock.lock();
  }
  return ok;
}

SessionManager::Lease SessionManager::create(const nlohmann::json& request) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_) throw HttpError(503, "the server is shutting down");
  if (!make_room(lock, policy_.max_live)) throw HttpError(503, room_refusal_locked());
  ++reserved_;
  lock.unlock();
  std::shared_ptr<EditorSession> session;
  try {
    // Built outside the lock: it may load a model and render the first image.
    session = std::make_shared<EditorSession>(new_session_id(), models_, request, policy_.ai_mark);
    session->set_memory_cap(session_cap());
  } catch (...) {
    lock.lock();
    --reserved_;
    throw;
  }
  lock.lock();
  --reserved_;
  auto entry = std::make_shared<Entry>();
  entry->id = session->id();
  entry->live = session;
  entry->leases = 1;
  entry->last_used = Clock::now();
  entries_[entry->id] = entry;
  log::debug("session ", entry->id, " created (", entries_.size(), " in all)");
  return Lease(this, entry, session);
}

SessionManager::Lease SessionManager::get(const std::string& id) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_) throw HttpError(503, "the server is shutting down");
  for (;;) {
    auto it = entries_.find(id);
    if (it == entries_.end())
      throw NotFoundError("unknown session \"" + id.substr(0, 64) +
                          "\" (it may have expired; create a new one with POST /api/sessions)");
    std::shared_ptr<Entry> entry = it->second;
    if (entry->moving) {
      changed_.wait(lock);
      continue;
    }
    if (entry->live) {
      ++entry->leases;
      entry->last_used = Clock::now();
      entry->live->touch();
      return Lease(this, entry, entry->live);
    }
    // On disk: bring it back (making room may spill another idle session, releasing the lock meanwhile).
    const size_t cap = policy_.max_live + std::max<size_t>(2, policy_.max_live / 4);
    if (!make_room(lock, cap)) throw HttpError(503, room_refusal_locked());
    if (entries_.find(id) == entries_.end() || entry->moving || entry->live) continue;  // changed meanwhile
    entry->moving = true;
    ++reserved_;
    const std::string path = entry->spill_path;
    lock.unlock();
    std::shared_ptr<EditorSession> restored;
    std::string failure;
    try {
      restored = EditorSession::restore_spill(id, models_, path, policy_.ai_mark);
      restored->set_memory_cap(session_cap());
    } catch (const std::exception& e) {
      failure = e.what();
    }
    std::error_code ec;
    fs::remove(path, ec);
    lock.lock();
    --reserved_;
    entry->moving = false;
    spilled_bytes_ -= entry->spill_bytes;
    --spilled_count_;
    entry->spill_path.clear();
    entry->spill_bytes = 0;
    changed_.notify_all();
    if (!restored) {
      entries_.erase(id);
      log::error("session ", id, ": cannot bring it back from disk: ", failure);
      throw HttpError(500, "session " + id.substr(0, 64) + " could not be read back from disk");
    }
    entry->live = restored;
    log::info("session ", id, " brought back from disk");
  }
}

void SessionManager::remove(const std::string& id) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    auto it = entries_.find(id);
    if (it == entries_.end()) throw NotFoundError("unknown session \"" + id.substr(0, 64) + "\"");
    if (it->second->moving) {
      changed_.wait(lock);
      continue;
    }
    std::shared_ptr<Entry> entry = it->second;
    entries_.erase(it);
    if (!entry->spill_path.empty()) {
      std::error_code ec;
      fs::remove(entry->spill_path, ec);
      spilled_bytes_ -= entry->spill_bytes;
      --spilled_count_;
    }
    lock.unlock();
    if (entry->live) entry->live->close();
    return;
  }
}

SessionManager::Counts SessionManager::counts() {
  std::lock_guard<std::mutex> lock(mutex_);
  Counts c;
  for (const auto& [id, e] : entries_)
    if (e->live) {
      ++c.live;
      c.live_bytes += e->live->approx_bytes();
    }
  c.spilled = spilled_count_;
  c.spill_bytes = spilled_bytes_;
  return c;
}

void SessionManager::reap() {
  std::vector<std::shared_ptr<Entry>> expired;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = Clock::now();
    for (auto it = entries_.begin(); it != entries_.end();) {
      const Entry& e = *it->second;
      // An open event stream (a tab still showing the session) or a running drag keeps it alive.
      const bool held = e.moving || e.leases > 0 || (e.live && (e.live->has_listeners() || e.live->running()));
      if (!held && now - last_activity_locked(e) > policy_.expiry) {
        if (!e.spill_path.empty()) {
          spilled_bytes_ -= e.spill_bytes;
          --spilled_count_;
        }
        expired.push_back(it->second);
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& entry : expired) {
    log::info("session ", entry->id, " deleted after ", policy_.expiry.count(), " s without a page or request");
    if (entry->live) entry->live->close();
    std::error_code ec;
    if (!entry->spill_path.empty()) fs::remove(entry->spill_path, ec);
  }
}

void SessionManager::begin_shutdown() {
  std::vector<std::shared_ptr<EditorSession>> live;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    for (const auto& [id, e] : entries_)
      if (e->live) live.push_back(e->live);
  }
  wake_.notify_all();
  for (auto& session : live) session->request_stop();  // all at once: each ends the step it is on
  for (auto& session : live) session->stop();
}

void SessionManager::finish_shutdown() {
  std::vector<std::shared_ptr<Entry>> all;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_ = true;
    if (handed_over_) return;
    handed_over_ = true;
    changed_.wait(lock, [this] {
      return std::none_of(entries_.begin(), entries_.end(), [](const auto& e) { return e.second->moving; });
    });
    if (policy_.hand_over)
      for (const auto& [id, e] : entries_) all.push_back(e);
  }
  size_t handed = 0;
  for (const auto& entry : all) {
    try {
      std::shared_ptr<EditorSession> session = entry->live;
      if (!session) session = EditorSession::restore_spill(entry->id, models_, entry->spill_path, policy_.ai_mark);
      session->stop();
      policy_.hand_over(entry->id, *session);
      ++handed;
    } catch (const std::exception& e) {
      log::warn("shutdown: session ", entry->id, " could not be handed over: ", e.what());
    }
  }
  if (policy_.hand_over) log::info("shutdown: ", handed, " of ", all.size(), " session(s) handed over");
  close_all();
}

void SessionManager::close_all() {
  std::map<std::string, std::shared_ptr<Entry>> all;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    stopping_ = true;
    changed_.wait(lock, [this] {
      for (const auto& [id, e] : entries_)
        if (e->moving) return false;
      return true;
    });
    all.swap(entries_);
    spilled_bytes_ = 0;
    spilled_count_ = 0;
  }
  wake_.notify_all();
  for (auto& [id, entry] : all)
    if (entry->live) entry->live->close();
  if (!policy_.spill_dir.empty()) {
    std::error_code ec;
    fs::remove_all(policy_.spill_dir, ec);
  }
}

}  // namespace draggan::server
