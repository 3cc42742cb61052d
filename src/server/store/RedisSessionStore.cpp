#include "server/store/RedisSessionStore.h"

#include <algorithm>
#include <random>
#include <sstream>
#include <thread>

#include "draggan/core/Log.h"
#include "server/http/HttpError.h"
#include "server/store/StoreError.h"

namespace draggan::server {
namespace {

using namespace std::chrono_literals;

// KEYS[1] lease, KEYS[2] epoch; ARGV[1] lease value, ARGV[2] lease ttl ms, ARGV[3] session ttl ms, ARGV[4] epoch,
// ARGV[5] "1" = the writer could not reach the store for a while. Leaves `fence` = 1 (held) or 2 (the store had
// forgotten the session: seeded again), or returns 0 (lost).
// A lease that lapsed counts as lost: its holder may have been paused for longer than the lease, and whoever
// comes next finds the last committed state. Unless the store itself was out of reach (ARGV[5]) and nobody
// has taken the session since (same epoch): then the lapse was the store's, and the holder keeps it.
const char* kLeaseFenceLua = R"lua(
local fence = 1
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
  local epoch = redis.call('GET', KEYS[2])
  if epoch then
    if ARGV[5] ~= '1' or epoch ~= ARGV[4] then return 0 end
  else
    redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3])
    fence = 2
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
)lua";

// KEYS lease, epoch, doc, drag; ARGV as the fence.
const RedisScript& renew_script() {
  static const RedisScript s(std::string(kLeaseFenceLua) + R"lua(
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
if redis.call('EXISTS', KEYS[3]) == 0 then fence = 2 end
return fence
)lua");
  return s;
}

// KEYS lease, epoch, doc, drag, blob...; ARGV as the fence, then ARGV[6] doc ("" = keep), ARGV[7] drag ("" =
// keep), ARGV[8] "1" = delete the drag, ARGV[9] blob ttl ms.
const RedisScript& commit_script() {
  static const RedisScript s(std::string(kLeaseFenceLua) + R"lua(
if ARGV[6] ~= '' then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[3])
else
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  if redis.call('EXISTS', KEYS[3]) == 0 then fence = 2 end
end
if ARGV[8] == '1' then redis.call('DEL', KEYS[4])
elseif ARGV[7] ~= '' then redis.call('SET', KEYS[4], ARGV[7], 'PX', ARGV[3]) end
for i = 5, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[9]) end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return fence
)lua");
  return s;
}

// KEYS lease, epoch, doc; ARGV lease value, lease ttl, session ttl, doc. The epoch starts at 1.
const RedisScript& create_script() {
  static const RedisScript s(R"lua(
if redis.call('EXISTS', KEYS[2]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3])
return 1
)lua");
  return s;
}

// KEYS lease, epoch, doc, drag; ARGV owner ("replica/instance"), lease ttl, session ttl.
// {0} no such session; {2, holder, pttl} held; {1, lease value, epoch, doc, drag|false} ours now.
const RedisScript& acquire_script() {
  static const RedisScript s(R"lua(
if redis.call('EXISTS', KEYS[3]) == 0 then return {0} end
local holder = redis.call('GET', KEYS[1])
if holder then return {2, holder, redis.call('PTTL', KEYS[1])} end
local epoch = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '/' .. epoch
if not redis.call('SET', KEYS[1], value, 'NX', 'PX', ARGV[2]) then return {2, '', 0} end
for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
return {1, value, tostring(epoch), redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4])}
)lua");
  return s;
}

// KEYS lease; ARGV lease value. Compare-and-delete.
const RedisScript& release_script() {
  static const RedisScript s(R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua");
  return s;
}

// KEYS lease, epoch, doc, drag; ARGV lease value.
const RedisScript& remove_script() {
  static const RedisScript s(R"lua(
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return 1
)lua");
  return s;
}

std::string process_instance_id() {
  std::random_device device;
  std::ostringstream out;
  out << std::hex << device() << device();
  return out.str();
}

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()); }

Fence fence_of(long long code) { return code == 1 ? Fence::Held : code == 2 ? Fence::Reseeded : Fence::Lost; }

// The replica named by a lease value "replica/instance/epoch".
std::string lease_holder_name(const std::string& value) {
  const size_t slash = value.find('/');
  return slash == std::string::npos ? value : value.substr(0, slash);
}

}  // namespace

RedisSessionStore::RedisSessionStore(RedisStoreOptions options)
    : options_(std::move(options)),
      owner_(options_.replica + "/" + process_instance_id()),
      pool_(options_.endpoint, options_.timeouts, options_.max_connections) {}

std::string RedisSessionStore::key(const std::string& id, const char* part) const {
  // The hash tag keeps a session's keys together should the store ever be sharded.
  return options_.prefix + "{" + id + "}:" + part;
}

std::string RedisSessionStore::blob_key(const std::string& hash) const { return options_.prefix + "blob:" + hash; }

StoreLease RedisSessionStore::create(const std::string& id, const std::string& doc,
                                     const std::vector<std::string>& blob_refs) {
  StoreLease lease{owner_ + "/1", "1"};
  const std::string lk = key(id, "lease"), ek = key(id, "epoch"), dk = key(id, "doc");
  const long long ok = pool_.with([&](RedisConnection& c) {
    return c.eval(create_script(), {lk, ek, dk}, {lease.value, ms_text(options_.lease_ttl), ms_text(options_.session_ttl), doc})
        .integer();
  });
  if (ok != 1) throw Error("session store: session id " + id + " exists already");
  if (!blob_refs.empty()) commit(id, lease, StoreCommit{nullptr, nullptr, false, blob_refs});
  return lease;
}

StoredSession RedisSessionStore::acquire(const std::string& id, std::chrono::milliseconds wait) {
  const std::string lk = key(id, "lease"), ek = key(id, "epoch"), dk = key(id, "doc"), gk = key(id, "drag");
  const auto deadline = std::chrono::steady_clock::now() + wait;
  std::string last_holder;
  long long last_pttl = -1;
  for (;;) {
    const RedisReply r = pool_.with([&](RedisConnection& c) {
      return c.eval(acquire_script(), {lk, ek, dk, gk},
                    {owner_, ms_text(options_.lease_ttl), ms_text(options_.session_ttl)});
    });
    const long long code = r.at(0).integer();
    if (code == 0)
      throw NotFoundError("unknown session \"" + id.substr(0, 64) +
                          "\" (it may have expired; create a new one with POST /api/sessions)");
    if (code == 1) return StoredSession{{r.at(1).str(), r.at(2).str()}, r.at(3).str(), r.at(4).str()};
    const std::string holder = r.at(1).str();
    const long long pttl = r.at(2).integer();
    // A holder that renews while we wait is alive; one that lets its lease run out is gone (killed, frozen,
    // cut off) and the session is ours once it has.
    const bool renewed = holder == last_holder && pttl > last_pttl + 50;
    if (renewed || std::chrono::steady_clock::now() >= deadline)
      throw SessionElsewhere("held_elsewhere", lease_holder_name(holder),
                             "session " + id.substr(0, 64) + " is driven by replica " + lease_holder_name(holder) +
                                 ", which is alive; send its requests there (the load balancer routes by session "
                                 "id)");
    last_holder = holder;
    last_pttl = pttl;
    std::this_thread::sleep_for(std::clamp<std::chrono::milliseconds>(std::chrono::milliseconds(pttl), 20ms, 100ms));
  }
}

Fence RedisSessionStore::renew(const std::string& id, const StoreLease& lease, bool after_outage) {
  return renew_all({{id, lease}}, after_outage).front();
}

std::vector<Fence> RedisSessionStore::renew_all(const std::vector<std::pair<std::string, StoreLease>>& leases,
                                                bool after_outage) {
  if (leases.empty()) return {};
  const std::string ttl = ms_text(options_.lease_ttl), session_ttl = ms_text(options_.session_ttl);
  std::vector<std::vector<std::string>> storage;
  std::vector<std::vector<std::string_view>> commands;
  for (const auto& [id, lease] : leases) {
    storage.push_back({"EVALSHA", renew_script().sha1, "4", key(id, "lease"), key(id, "epoch"), key(id, "doc"),
                       key(id, "drag"), lease.value, ttl, session_ttl, lease.epoch, after_outage ? "1" : "0"});
  }
  for (const auto& s : storage) commands.emplace_back(s.begin(), s.end());
  const std::vector<RedisReply> replies = pool_.with([&](RedisConnection& c) {
    std::vector<RedisReply> r = c.pipeline(commands);
    // A Redis that restarted has forgotten the script: load it, then once more.
    if (!r.empty() && r.front().is_error() && r.front().str().rfind("NOSCRIPT", 0) == 0) {
      c.command({"SCRIPT", "LOAD", renew_script().source});
      r = c.pipeline(commands);
    }
    return r;
  });
  std::vector<Fence> out;
  for (const auto& reply : replies) {
    if (reply.is_error()) throw Error("session store: " + reply.str());
    out.push_back(fence_of(reply.integer()));
  }
  return out;
}

Fence RedisSessionStore::commit(const std::string& id, const StoreLease& lease, const StoreCommit& commit) {
  std::vector<std::string> keys{key(id, "lease"), key(id, "epoch"), key(id, "doc"), key(id, "drag")};
  for (const auto& hash : commit.blob_refs) keys.push_back(blob_key(hash));
  const std::vector<std::string_view> key_views(keys.begin(), keys.end());
  const std::string empty;
  const long long code = pool_.with([&](RedisConnection& c) {
    return c.eval(commit_script(), key_views,
                  {lease.value, ms_text(options_.lease_ttl), ms_text(options_.session_ttl), lease.epoch, "0",
                   commit.doc ? *commit.doc : empty, commit.drag ? *commit.drag : empty, commit.clear_drag ? "1" : "0",
                   ms_text(options_.blob_ttl)})
        .integer();
  });
  return fence_of(code);
}

void RedisSessionStore::release(const std::string& id, const StoreLease& lease) {
  pool_.with([&](RedisConnection& c) { return c.eval(release_script(), {key(id, "lease")}, {lease.value}).integer(); });
}

Fence RedisSessionStore::remove(const std::string& id, const StoreLease& lease) {
  const long long ok = pool_.with([&](RedisConnection& c) {
    return c.eval(remove_script(), {key(id, "lease"), key(id, "epoch"), key(id, "doc"), key(id, "drag")}, {lease.value})
        .integer();
  });
  return ok == 1 ? Fence::Held : Fence::Lost;
}

std::vector<std::string> RedisSessionStore::missing_blobs(const std::vector<std::string>& hashes) {
  if (hashes.empty()) return {};
  std::vector<std::string> keys;
  for (const auto& h : hashes) keys.push_back(blob_key(h));
  std::vector<std::vector<std::string_view>> commands;
  for (const auto& k : keys) commands.push_back({"EXISTS", k});
  const std::vector<RedisReply> replies = pool_.with([&](RedisConnection& c) { return c.pipeline(commands); });
  std::vector<std::string> missing;
  for (size_t i = 0; i < hashes.size(); ++i)
    if (replies[i].integer() != 1) missing.push_back(hashes[i]);
  return missing;
}

void RedisSessionStore::put_blobs(const std::map<std::string, std::string>& blobs) {
  if (blobs.empty()) return;
  const std::string ttl = ms_text(options_.blob_ttl);
  std::vector<std::string> keys;
  for (const auto& [hash, bytes] : blobs) keys.push_back(blob_key(hash));
  std::vector<std::vector<std::string_view>> commands;
  size_t i = 0;
  for (const auto& [hash, bytes] : blobs) commands.push_back({"SET", keys[i++], bytes, "PX", ttl});
  const std::vector<RedisReply> replies = pool_.with([&](RedisConnection& c) { return c.pipeline(commands); });
  for (const auto& r : replies)
    if (r.is_error()) {
      if (r.str().rfind("OOM", 0) == 0)
        throw StoreUnavailable("store_full", "the session store " + describe() + " is full (Redis maxmemory): " + r.str());
      throw Error("session store: " + r.str());
    }
}

std::map<std::string, std::string> RedisSessionStore::get_blobs(const std::vector<std::string>& hashes) {
  std::map<std::string, std::string> out;
  if (hashes.empty()) return out;
  std::vector<std::string> keys;
  for (const auto& h : hashes) keys.push_back(blob_key(h));
  std::vector<std::vector<std::string_view>> commands;
  for (const auto& k : keys) commands.push_back({"GET", k});
  const std::vector<RedisReply> replies = pool_.with([&](RedisConnection& c) { return c.pipeline(commands); });
  for (size_t i = 0; i < hashes.size(); ++i)
    if (replies[i].is_string()) out[hashes[i]] = replies[i].str();
  return out;
}

bool RedisSessionStore::ping() {
  try {
    return pool_.with([](RedisConnection& c) { return c.command({"PING"}).str() == "PONG"; }, /*probe=*/true);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace draggan::server
