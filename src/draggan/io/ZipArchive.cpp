#include "draggan/io/ZipArchive.h"

#include <algorithm>
#include <cstring>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr size_t kEndRecordSize = 22;
constexpr size_t kMaxCommentSize = 0xffff;
// A real checkpoint has a few hundred entries; this bounds what a hostile directory can make us allocate.
constexpr uint64_t kMaxEntries = 1u << 20;

uint16_t u16(const unsigned char* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t u32(const unsigned char* p) { return u16(p) | (static_cast<uint32_t>(u16(p + 2)) << 16); }
uint64_t u64(const unsigned char* p) { return u32(p) | (static_cast<uint64_t>(u32(p + 4)) << 32); }

}  // namespace

ZipArchive::ZipArchive(const std::string& path) : path_(path), in_(path, std::ios::binary) {
  if (!in_) throw CheckpointError(path + ": cannot open");
  in_.seekg(0, std::ios::end);
  file_size_ = static_cast<uint64_t>(in_.tellg());
  if (file_size_ < kEndRecordSize) throw CheckpointError(path + ": too short for a zip archive");

  // The end record sits at the very end, followed only by an (up to 64 KiB) comment.
  const uint64_t tail_size = std::min<uint64_t>(file_size_, kEndRecordSize + kMaxCommentSize);
  std::vector<unsigned char> tail(tail_size);
  read_at(file_size_ - tail_size, tail.data(), tail_size, "end of central directory");
  int64_t eocd = -1;
  for (int64_t i = static_cast<int64_t>(tail_size - kEndRecordSize); i >= 0; --i) {
    if (u32(&tail[i]) == kEndOfDirectory && i + kEndRecordSize + u16(&tail[i + 20]) == tail_size) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw CheckpointError(path + ": no zip end-of-central-directory record (truncated or not a zip)");
  const uint64_t eocd_offset = file_size_ - tail_size + eocd;
  const unsigned char* e = &tail[eocd];
  uint64_t count = u16(e + 10), dir_size = u32(e + 12), dir_offset = u32(e + 16);
  if (u16(e + 4) != 0 || u16(e + 6) != 0) throw CheckpointError(path + ": multi-disk zip archives are not supported");

  if (count == 0xffff || dir_size == 0xffffffffu || dir_offset == 0xffffffffu) {
    // Zip64: a locator just before the end record points at the 64-bit end record.
    if (eocd_offset < 20) throw CheckpointError(path + ": zip64 fields without a zip64 locator");
    unsigned char loc[20];
    read_at(eocd_offset - 20, loc, 20, "zip64 locator");
    if (u32(loc) != kZip64Locator) throw CheckpointError(path + ": zip64 fields without a zip64 locator");
    const uint64_t rec_offset = u64(loc + 8);
    unsigned char rec[56];
    if (rec_offset > file_size_ || file_size_ - rec_offset < 56)
      throw CheckpointError(path + ": zip64 end record offset " + std::to_string(rec_offset) + " is past the end");
    read_at(rec_offset, rec, 56, "zip64 end record");
    if (u32(rec) != kZip64EndOfDirectory)
      throw CheckpointError(path + ": offset " + std::to_string(rec_offset) + ": bad zip64 end record signature");
    count = u64(rec + 32);
    dir_size = u64(rec + 40);
    dir_offset = u64(rec + 48);
  }
  if (count > kMaxEntries) throw CheckpointError(path + ": " + std::to_string(count) + " zip entries is too many");
  if (dir_offset > file_size_ || dir_size > file_size_ - dir_offset)
    throw CheckpointError(path + ": central directory [" + std::to_string(dir_offset) + ", +" +
                          std::to_string(dir_size) + ") runs past the end of the file (" +
                          std::to_string(file_size_) + " bytes)");

  std::vector<unsigned char> dir(dir_size);
  read_at(dir_offset, dir.data(), dir_size, "central directory");
  uint64_t pos = 0;
  entries_.reserve(count);
  for (uint64_t k = 0; k < count; ++k) {
    const std::string where = path + ": central directory entry " + std::to_string(k);
    if (dir_size - pos < 46) throw CheckpointError(where + ": runs past the directory");
    const unsigned char* c = &dir[pos];
    if (u32(c) != kCentralHeader)
      throw CheckpointError(where + ": bad signature at offset " + std::to_string(dir_offset + pos));
    const uint16_t flags = u16(c + 8), method = u16(c + 10);
    uint64_t compressed = u32(c + 20), size = u32(c + 24);
    const uint16_t name_len = u16(c + 28), extra_len = u16(c + 30), comment_len = u16(c + 32);
    uint64_t local_offset = u32(c + 42);
    if (dir_size - pos - 46 < static_cast<uint64_t>(name_len) + extra_len + comment_len)
      throw CheckpointError(where + ": name/extra/comment run past the directory");
    ZipEntry entry;
    entry.name.assign(reinterpret_cast<const char*>(c + 46), name_len);
    entry.method = method;
    if (flags & 1) throw CheckpointError(where + " (" + entry.name + "): encrypted entries are not supported");
    // Zip64 extended information: present values replace the 0xffffffff placeholders, in this order.
    const unsigned char* x = c + 46 + name_len;
    for (uint32_t xp = 0; xp + 4 <= extra_len;) {
      const uint16_t id = u16(x + xp), len = u16(x + xp + 2);
      if (xp + 4 + len > extra_len) throw CheckpointError(where + ": extra field runs past its block");
      if (id == 0x0001) {
        const unsigned char* v = x + xp + 4;
        uint32_t left = len;
        auto take = [&](uint64_t& field) {
          if (field != 0xffffffffu) return;
          if (left < 8) throw CheckpointError(where + ": short zip64 extra field");
          field = u64(v);
          v += 8;
          left -= 8;
        };
        take(size);
        take(compressed);
        take(local_offset);
      }
      xp += 4 + len;
    }
    if (method == 0 && compressed != size)
      throw CheckpointError(where + " (" + entry.name + "): stored entry with compressed size " +
                            std::to_string(compressed) + " != size " + std::to_string(size));
    // The local header repeats the name and may carry a different extra field (torch pads it to align the data).
    unsigned char local[30];
    if (local_offset > file_size_ || file_size_ - local_offset < 30)
      throw CheckpointError(where + " (" + entry.name + "): local header offset " + std::to_string(local_offset) +
                            " is past the end of the file");
    read_at(local_offset, local, 30, entry.name + " local header");
    if (u32(local) != kLocalHeader)
      throw CheckpointError(where + " (" + entry.name + "): bad local header signature at offset " +
                            std::to_string(local_offset));
    entry.data_offset = local_offset + 30 + u16(local + 26) + u16(local + 28);
    entry.size = method == 0 ? size : compressed;
    if (entry.data_offset > file_size_ || entry.size > file_size_ - entry.data_offset)
      throw CheckpointError(path + ": entry " + entry.name + " (" + std::to_string(entry.size) + " bytes at offset " +
                            std::to_string(entry.data_offset) + ") runs past the end of the file (" +
                            std::to_string(file_size_) + " bytes); truncated?");
    entry.size = size;
    index_[entry.name] = entries_.size();
    entries_.push_back(std::move(entry));
    pos += 46 + static_cast<uint64_t>(name_len) + extra_len + comment_len;
  }
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

namespace {

// Only a stored entry's size was checked against the file's; a compressed one's is what it claims unpacked.
void require_stored(const std::string& path, const ZipEntry& entry) {
  if (entry.method != 0)
    throw CheckpointError(path + ": entry " + entry.name + " is compressed (method " + std::to_string(entry.method) +
                          "); only stored entries are supported, as torch.save writes them");
}

}  // namespace

void ZipArchive::read(const ZipEntry& entry, void* out, uint64_t capacity) {
  require_stored(path_, entry);
  if (capacity != entry.size)
    throw CheckpointError(path_ + ": entry " + entry.name + " has " + std::to_string(entry.size) +
                          " bytes, expected " + std::to_string(capacity));
  read_at(entry.data_offset, out, entry.size, entry.name);
}

std::string ZipArchive::read(const ZipEntry& entry) {
  require_stored(path_, entry);  // before allocating its claimed size
  std::string bytes(entry.size, '\0');
  read(entry, bytes.data(), entry.size);
  return bytes;
}

void ZipArchive::read_at(uint64_t offset, void* out, uint64_t size, const std::string& what) {
  if (offset > file_size_ || size > file_size_ - offset)
    throw CheckpointError(path_ + ": " + what + " at offset " + std::to_string(offset) + " runs past the end");
  in_.clear();
  in_.seekg(static_cast<std::streamoff>(offset));
  in_.read(static_cast<char*>(out), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in_.gcount()) != size)
    throw CheckpointError(path_ + ": short read of " + what + " at offset " + std::to_string(offset));
}

}  // namespace draggan
