// Shared by the libFuzzer harnesses (all linked into one executable, draggan_fuzz, so that LibTorch and the
// sanitizers are linked once): the input as a string or as a file (a memfd: the path-based readers
// read it like any file, mmap included), and the rule every harness enforces: a reader may refuse an input
// only with draggan::Error (one clear line); any other exception, a crash, a sanitizer report, a hang or a
// huge allocation is a finding.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "draggan/core/Error.h"

namespace draggan::fuzz {

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// The input as a file that exists while the object lives.
class InputFile {
 public:
  InputFile(const uint8_t* data, size_t size) {
    fd_ = memfd_create("fuzz-input", 0);
    if (fd_ < 0) std::abort();
    for (size_t done = 0; done < size;) {
      const ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += static_cast<size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~InputFile() { ::close(fd_); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// Runs `read`; draggan::Error is a clean refusal, anything else thrown aborts (a finding).
template <typename F>
void expect_clean(F&& read) {
  try {
    read();
  } catch (const draggan::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FINDING: %s escaped a reader: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

// One per reader (<Name>Fuzz.cpp); FuzzMain.cpp runs the one named by --target=<name>.
int fuzz_pickle(const uint8_t* data, size_t size);
int fuzz_torch_file(const uint8_t* data, size_t size);
int fuzz_nvidia_snapshot(const uint8_t* data, size_t size);
int fuzz_tensorflow_snapshot(const uint8_t* data, size_t size);
int fuzz_safetensors(const uint8_t* data, size_t size);
int fuzz_npy(const uint8_t* data, size_t size);
int fuzz_idx(const uint8_t* data, size_t size);
int fuzz_image(const uint8_t* data, size_t size);
int fuzz_mask(const uint8_t* data, size_t size);
int fuzz_session_json(const uint8_t* data, size_t size);
int fuzz_request_guard(const uint8_t* data, size_t size);

}  // namespace draggan::fuzz
