// What the session store answers besides success, as the HTTP edge reports it: the store cannot be used
// right now (503 with Retry-After and a machine-readable reason), or the session is driven elsewhere (421).
#pragma once
#include <string>

#include "server/http/HttpError.h"

namespace draggan::server {

// reason: "store_unavailable" (cannot connect, timed out, refused), "store_full" (Redis maxmemory),
// "lease_unverified" (this replica cannot confirm it still drives the session).
struct StoreUnavailable : HttpError {
  StoreUnavailable(std::string reason, const std::string& message)
      : HttpError(503, message), reason(std::move(reason)) {}
  std::string reason;
};

// Another replica that is alive drives the session (421 Misdirected Request: this server cannot answer for
// it). reason: "held_elsewhere", or "model_missing" when this replica does not serve the session's model.
struct SessionElsewhere : HttpError {
  SessionElsewhere(std::string reason, std::string holder, const std::string& message)
      : HttpError(421, message), reason(std::move(reason)), holder(std::move(holder)) {}
  std::string reason;
  std::string holder;  // the replica that drives it ("" when unknown)
};

}  // namespace draggan::server
