// Where the sessions of several replicas live between requests (docs/cluster.md has the whole picture).
//
// One replica at a time drives a session: it holds the session's *lease*, a key with a time to live that the
// holder renews, whose value names the holder and carries a fencing *epoch* (a counter raised by every
// acquisition). Every write of session state is conditional on the writer's lease being the current one, so a
// replica that was paused or cut off past its lease can never overwrite what a newer holder wrote; it learns
// that it lost the session (Fence::Lost) and drops it. A lease that lapsed is lost too, with two exceptions:
// after a store outage (the renewal says so) a holder keeps a lapsed lease that nobody has taken since (same
// epoch), and a store that forgot a session entirely (restarted empty) lets the replica that still holds it in
// memory seed it again (Fence::Reseeded: the caller must then commit the whole session).
//
// What is stored: a small document per session (settings, points, undo history as hashes), the state of a
// running drag after its last step, and blobs (images, latents, masks, tuned generators, uploaded photos)
// named by the SHA-256 of their bytes, shared by every session and written once.
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace draggan::server {

struct StoreLease {
  std::string value;  // "replica/instance/epoch", what the lease key holds
  std::string epoch;
};

enum class Fence { Held, Lost, Reseeded };

struct StoredSession {
  StoreLease lease;
  std::string doc;
  std::string drag;  // "" when no drag was running
};

// What one commit writes; only what is set.
struct StoreCommit {
  const std::string* doc = nullptr;
  const std::string* drag = nullptr;  // the running drag's state after its last step
  bool clear_drag = false;            // the drag is over
  std::vector<std::string> blob_refs; // every blob the document refers to: kept alive as long as it
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  virtual std::string describe() const = 0;
  virtual const std::string& replica() const = 0;

  // A new session, held by this replica. StoreUnavailable when the store cannot be reached.
  virtual StoreLease create(const std::string& id, const std::string& doc, const std::vector<std::string>& blob_refs) = 0;
  // Takes over a stored session. A holder that stops renewing is waited for (up to `wait`); one that renews
  // meanwhile is alive: SessionElsewhere naming it. NotFoundError when the store has no such session.
  virtual StoredSession acquire(const std::string& id, std::chrono::milliseconds wait) = 0;
  // `after_outage`: this replica could not reach the store for a while (see above).
  virtual Fence renew(const std::string& id, const StoreLease& lease, bool after_outage) = 0;
  // Every lease at once (one round trip); results in order.
  virtual std::vector<Fence> renew_all(const std::vector<std::pair<std::string, StoreLease>>& leases,
                                       bool after_outage) = 0;
  virtual Fence commit(const std::string& id, const StoreLease& lease, const StoreCommit& commit) = 0;
  // Compare-and-delete: gives the session up (its state stays for the next holder).
  virtual void release(const std::string& id, const StoreLease& lease) = 0;
  // Deletes the session's state (its blobs expire on their own when nothing refers to them).
  virtual Fence remove(const std::string& id, const StoreLease& lease) = 0;

  // Blobs by content hash.
  virtual std::vector<std::string> missing_blobs(const std::vector<std::string>& hashes) = 0;
  virtual void put_blobs(const std::map<std::string, std::string>& blobs) = 0;
  // The blobs found (a missing one is absent from the result).
  virtual std::map<std::string, std::string> get_blobs(const std::vector<std::string>& hashes) = 0;

  // A round trip that ignores the fail-fast window (readiness, recovery).
  virtual bool ping() = 0;
  virtual bool up() const = 0;
  virtual std::string last_error() const = 0;
  virtual std::chrono::milliseconds lease_ttl() const = 0;
};

}  // namespace draggan::server
