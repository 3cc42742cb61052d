// A group of processes that cannot start or cannot go on: a bad rendezvous (a port in use, an unreachable
// store, ranks that disagree on the world size) or a rank that died, hangs or failed. The message is one line
// that names the rank or the address.
#pragma once
#include "draggan/core/Error.h"

namespace draggan {

struct DistributedError : Error {
  using Error::Error;
};

}  // namespace draggan
