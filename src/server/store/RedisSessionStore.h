// SessionStore on one Redis server (Debian's redis-server; not Redis Cluster: a commit touches a session's
// keys and its blobs in one script). Keys, all under `prefix` (default "dg:"):
//   dg:{ID}:lease   "replica/instance/epoch", PX lease_ttl      (SET NX PX on acquisition, renewed by the holder)
//   dg:{ID}:epoch   the fencing counter, raised by each acquisition  PX session_ttl
//   dg:{ID}:doc     the session document (JSON)                      PX session_ttl
//   dg:{ID}:drag    the running drag after its last step             PX session_ttl
//   dg:blob:SHA256  immutable bytes                                  PX blob_ttl (refreshed by each commit
//                                                                    of a document that refers to them)
// Every write of a session's keys is one Lua script that first checks the writer's lease (the fence).
#pragma once
#include <memory>
#include <mutex>
#include <set>

#include "server/store/RedisPool.h"
#include "server/store/SessionStore.h"

namespace draggan::server {

struct RedisStoreOptions {
  RedisEndpoint endpoint;
  RedisTimeouts timeouts;
  size_t max_connections = 16;
  std::string replica;     // this replica's name (X-Draggan-Replica)
  std::string prefix = "dg:";
  std::chrono::milliseconds lease_ttl{4000};
  std::chrono::milliseconds session_ttl{600 * 1000};  // abandoned sessions expire (as --session-timeout)
  std::chrono::milliseconds blob_ttl{1200 * 1000};
};

class RedisSessionStore : public SessionStore {
 public:
  explicit RedisSessionStore(RedisStoreOptions options);

  std::string describe() const override { return options_.endpoint.describe(); }
  const std::string& replica() const override { return options_.replica; }
  StoreLease create(const std::string& id, const std::string& doc, const std::vector<std::string>& blob_refs) override;
  StoredSession acquire(const std::string& id, std::chrono::milliseconds wait) override;
  Fence renew(const std::string& id, const StoreLease& lease, bool after_outage) override;
  std::vector<Fence> renew_all(const std::vector<std::pair<std::string, StoreLease>>& leases,
                               bool after_outage) override;
  Fence commit(const std::string& id, const StoreLease& lease, const StoreCommit& commit) override;
  void release(const std::string& id, const StoreLease& lease) override;
  Fence remove(const std::string& id, const StoreLease& lease) override;
  std::vector<std::string> missing_blobs(const std::vector<std::string>& hashes) override;
  void put_blobs(const std::map<std::string, std::string>& blobs) override;
  std::map<std::string, std::string> get_blobs(const std::vector<std::string>& hashes) override;
  bool ping() override;
  bool up() const override { return pool_.up(); }
  std::string last_error() const override { return pool_.last_error(); }
  std::chrono::milliseconds lease_ttl() const override { return options_.lease_ttl; }

 private:
  std::string key(const std::string& id, const char* part) const;
  std::string blob_key(const std::string& hash) const;

  RedisStoreOptions options_;
  std::string owner_;  // "replica/instance": this process, whatever its name
  RedisPool pool_;
};

}  // namespace draggan::server
