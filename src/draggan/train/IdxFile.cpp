#include "draggan/train/IdxFile.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

// gzread reads gzip'd and plain files alike.
struct GzFile {
  explicit GzFile(const std::string& path) : handle(gzopen(path.c_str(), "rb")) {
    if (!handle) throw InputError(path + ": cannot open");
  }
  ~GzFile() { gzclose(handle); }
  int64_t read(void* dst, int64_t n) {
    int64_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, 1 << 30));
      const int got = gzread(handle, static_cast<char*>(dst) + done, chunk);
      if (got <= 0) break;
      done += got;
    }
    return done;
  }
  gzFile handle;
};

uint32_t big_endian(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

constexpr unsigned char kUnsignedByte = 0x08;

}  // namespace

bool looks_like_idx(const std::string& path) {
  try {
    GzFile f(path);
    std::array<unsigned char, 4> magic{};
    return f.read(magic.data(), 4) == 4 && magic[0] == 0 && magic[1] == 0 && magic[2] >= 0x08 && magic[2] <= 0x0E &&
           magic[3] >= 1 && magic[3] <= 4;
  } catch (const InputError&) {
    return false;
  }
}

torch::Tensor read_idx_images(const std::string& path) {
  GzFile f(path);
  std::array<unsigned char, 4> magic{};
  if (f.read(magic.data(), 4) != 4 || magic[0] != 0 || magic[1] != 0)
    throw InputError(path + ": not an IDX file (bad magic)");
  if (magic[2] != kUnsignedByte) throw InputError(path + ": IDX element type is not unsigned byte");
  if (magic[3] != 3)
    throw InputError(path + ": IDX file has " + std::to_string(magic[3]) +
                     " dimensions; expected 3 (images), is this a labels file?");
  std::array<unsigned char, 12> dims_raw{};
  if (f.read(dims_raw.data(), 12) != 12) throw InputError(path + ": truncated IDX header");
  const int64_t n = big_endian(&dims_raw[0]), h = big_endian(&dims_raw[4]), w = big_endian(&dims_raw[8]);
  if (n <= 0) throw InputError(path + ": IDX file holds no images");
  if (h <= 0 || w <= 0 || h > 4096 || w > 4096 || n * h * w > (int64_t{1} << 32))
    throw InputError(path + ": implausible IDX dimensions " + std::to_string(n) + "x" + std::to_string(h) + "x" +
                     std::to_string(w));
  const int64_t total = n * h * w;
  const auto truncated = [&] {
    return InputError(path + ": truncated IDX data (expected " + std::to_string(n) + " images of " + std::to_string(h) +
                      "x" + std::to_string(w) + ")");
  };
  // Memory follows the data: the header's size is trusted only once the first 64 MB are really there (a
  // 16-byte file may claim 4 GB).
  const int64_t first = std::min<int64_t>(total, int64_t{64} << 20);
  std::vector<unsigned char> head(static_cast<size_t>(first));
  if (f.read(head.data(), first) != first) throw truncated();
  torch::Tensor images = torch::empty({n, h, w}, torch::kUInt8);
  std::memcpy(images.data_ptr(), head.data(), head.size());
  head = {};
  if (f.read(static_cast<unsigned char*>(images.data_ptr()) + first, total - first) != total - first) throw truncated();
  return images;
}

torch::Tensor read_idx_labels(const std::string& path) {
  GzFile f(path);
  std::array<unsigned char, 4> magic{};
  if (f.read(magic.data(), 4) != 4 || magic[0] != 0 || magic[1] != 0)
    throw InputError(path + ": not an IDX file (bad magic)");
  if (magic[2] != kUnsignedByte) throw InputError(path + ": IDX element type is not unsigned byte");
  if (magic[3] != 1)
    throw InputError(path + ": IDX file has " + std::to_string(magic[3]) +
                     " dimensions; expected 1 (labels), is this an images file?");
  std::array<unsigned char, 4> count_raw{};
  if (f.read(count_raw.data(), 4) != 4) throw InputError(path + ": truncated IDX header");
  const int64_t n = big_endian(count_raw.data());
  if (n <= 0 || n > (int64_t{1} << 31)) throw InputError(path + ": implausible IDX label count " + std::to_string(n));
  torch::Tensor labels = torch::empty({n}, torch::kUInt8);
  if (f.read(labels.data_ptr(), n) != n)
    throw InputError(path + ": truncated IDX data (expected " + std::to_string(n) + " labels)");
  return labels.to(torch::kInt64);
}

}  // namespace draggan
