// How library errors reach Python: each draggan::Error subclass becomes the matching exception of
// draggan_cpp._errors (InputError and CheckpointError are ValueErrors too), carrying the library's one-line
// message, the same line the CLI prints. A file that does not exist becomes FileNotFound (a FileNotFoundError).
#pragma once
#include <pybind11/pybind11.h>

#include <filesystem>
#include <string>

#include "draggan/core/Error.h"

namespace draggan::python {

// The library failed on `path`, and the path does not exist: FileNotFound with the library's message.
struct MissingFile {
  std::string path;
  std::string message;
};

// Imports draggan_cpp._errors and registers the translator; called once from the module's init.
void register_error_translation(pybind11::module_& m);

// Runs `call`; when it throws a library error and `path` does not exist, throws MissingFile instead.
template <typename Call>
auto on_file(const std::string& path, Call&& call) -> decltype(call()) {
  try {
    return call();
  } catch (const Error& e) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw MissingFile{path, e.what()};
    throw;
  }
}

// Raises the pending Python exception (KeyboardInterrupt after Ctrl-C) when a signal handler raised one.
// Needs the GIL: the engine calls it between steps.
void raise_on_signal();

}  // namespace draggan::python
