// Read-only access to the entries of a zip archive that stores them uncompressed, as torch.save's zip format
// (PyTorch >= 1.6) does. Only the central directory is read up front; entry data is read on demand, so a
// half-gigabyte checkpoint is never held twice in memory.
#pragma once
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace draggan {

struct ZipEntry {
  std::string name;
  uint64_t size = 0;         // uncompressed = stored size
  uint64_t data_offset = 0;  // absolute file offset of the first data byte
  uint16_t method = 0;       // 0 = stored; anything else is refused when read
};

class ZipArchive {
 public:
  // Parses the end-of-central-directory record (zip64 too) and the central directory; every offset and length is
  // checked against the file size. Throws CheckpointError("<path>: ...") on anything malformed.
  explicit ZipArchive(const std::string& path);

  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;  // nullptr when absent

  // Reads a stored entry's bytes into `out` (exactly entry.size bytes). Throws for compressed or encrypted
  // entries and for data that runs past the end of the file.
  void read(const ZipEntry& entry, void* out, uint64_t capacity);
  std::string read(const ZipEntry& entry);

 private:
  void read_at(uint64_t offset, void* out, uint64_t size, const std::string& what);
  std::string path_;
  std::ifstream in_;
  uint64_t file_size_ = 0;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> index_;
};

}  // namespace draggan
