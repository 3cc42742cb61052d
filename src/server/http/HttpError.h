// Errors that map to a specific HTTP status. Everything else reaching the edge maps by type:
// InputError -> 400, CheckpointError -> 422 (the model file cannot be used), anything else -> 500.
#pragma once
#include "draggan/core/Error.h"

namespace draggan::server {

struct HttpError : Error {
  HttpError(int status, const std::string& message) : Error(message), status(status) {}
  int status;
};

struct NotFoundError : HttpError {
  explicit NotFoundError(const std::string& message) : HttpError(404, message) {}
};

// The request is valid but clashes with what the session is doing (a drag is running).
struct ConflictError : HttpError {
  explicit ConflictError(const std::string& message) : HttpError(409, message) {}
};

}  // namespace draggan::server
