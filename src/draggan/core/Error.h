// Exceptions carry their context (file, field, offset) in the message, so the edge
// (CLI or server) can print one line and exit / answer without knowing the details.
#pragma once
#include <stdexcept>
#include <string>

namespace draggan {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A checkpoint (pkl, safetensors, ...) that cannot be read or does not describe a supported model.
struct CheckpointError : Error {
  using Error::Error;
};

// Bad input from a user: an option out of range, a point outside the image, an unreadable image.
struct InputError : Error {
  using Error::Error;
};

}  // namespace draggan
