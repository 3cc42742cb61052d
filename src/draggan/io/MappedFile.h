// A whole file mapped read-only into memory: its bytes without reading them all up front. The OS brings pages
// in as they are touched and may drop them again, so a reader that uses part of a large checkpoint (a
// TensorFlow pickle's Gs and D, not its G) costs only what it uses, and nothing is copied to get there.
//
// The file must not shrink while mapped (reading a page past its new end is a SIGBUS): checkpoints are read
// once, right after opening.
#pragma once
#include <memory>
#include <string>
#include <string_view>

namespace draggan {

class MappedFile {
 public:
  // The mapping of `path`; nullptr when it cannot be mapped (not a regular file, empty, mmap refused), so the
  // caller reads it instead. CheckpointError when it cannot be opened at all.
  static std::shared_ptr<const MappedFile> map(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(address_), size_}; }

 private:
  MappedFile(void* address, size_t size) : address_(address), size_(size) {}
  void* address_;
  size_t size_;
};

}  // namespace draggan
