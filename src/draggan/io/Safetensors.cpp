#include "draggan/io/Safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "draggan/core/Error.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors data is little-endian; so must the host be");

namespace draggan {
namespace {

using nlohmann::json;

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
};
const DtypeInfo kDtypes[] = {{"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
                             {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},  {"I32", torch::kInt32},
                             {"I16", torch::kInt16},     {"I8", torch::kInt8},    {"U8", torch::kUInt8},
                             {"BOOL", torch::kBool}};

// The reference implementation refuses headers above 100 MB; a real one is a few hundred bytes per tensor.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
// nlohmann's parser is iterative, but a hostile "[[[[..." still costs memory per level; real headers nest 3 deep.
constexpr int kMaxJsonDepth = 64;

struct Entry {
  std::string name;
  torch::ScalarType type;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

struct Header {
  std::vector<Entry> entries;
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;  // absolute file offset of the byte buffer
};

std::string offsets_text(uint64_t begin, uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

std::string safetensors_shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

int json_depth(const char* text, size_t size) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

Entry parse_entry(const std::string& name, const json& value, uint64_t data_size, const std::string& origin) {
  const std::string where = origin + ": tensor '" + name + "'";
  if (!value.is_object()) throw CheckpointError(where + ": header entry is not an object");
  Entry e;
  e.name = name;

  auto dtype_it = value.find("dtype");
  if (dtype_it == value.end() || !dtype_it->is_string()) throw CheckpointError(where + ": missing string 'dtype'");
  const std::string dtype = dtype_it->get<std::string>();
  const DtypeInfo* info = nullptr;
  for (const auto& d : kDtypes)
    if (dtype == d.name) info = &d;
  if (!info) throw CheckpointError(where + ": unsupported dtype '" + dtype + "'");
  e.type = info->type;

  auto shape_it = value.find("shape");
  if (shape_it == value.end() || !shape_it->is_array()) throw CheckpointError(where + ": missing array 'shape'");
  if (shape_it->size() > 64) throw CheckpointError(where + ": 'shape' has " + std::to_string(shape_it->size()) +
                                                   " dimensions");
  // Byte count with overflow checks: a hostile shape must not wrap around to match its data_offsets.
  uint64_t nbytes = c10::elementSize(e.type);
  bool overflow = false;
  for (const json& dim : *shape_it) {
    // nlohmann stores non-negative integers as unsigned; negatives and fractions are other kinds.
    if (!dim.is_number_unsigned())
      throw CheckpointError(where + ": 'shape' entry " + dim.dump() + " is not a non-negative integer");
    const uint64_t d = dim.get<uint64_t>();
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw CheckpointError(where + ": 'shape' entry " + dim.dump() + " is too large");
    e.shape.push_back(static_cast<int64_t>(d));
    overflow = overflow || __builtin_mul_overflow(nbytes, d, &nbytes);
  }
  if (overflow) nbytes = std::numeric_limits<uint64_t>::max();
  bool empty = false;
  for (int64_t d : e.shape) empty = empty || d == 0;
  if (empty) nbytes = 0;  // [0, 2^62] is empty, not an overflow

  auto off_it = value.find("data_offsets");
  if (off_it == value.end() || !off_it->is_array() || off_it->size() != 2 || !(*off_it)[0].is_number_unsigned() ||
      !(*off_it)[1].is_number_unsigned())
    throw CheckpointError(where + ": 'data_offsets' must be two non-negative integers");
  e.begin = (*off_it)[0].get<uint64_t>();
  e.end = (*off_it)[1].get<uint64_t>();
  if (e.begin > e.end)
    throw CheckpointError(where + ": 'data_offsets' " + offsets_text(e.begin, e.end) + " are reversed");
  if (e.end > data_size)
    throw CheckpointError(where + ": 'data_offsets' " + offsets_text(e.begin, e.end) +
                          " run past the data section (" + std::to_string(data_size) + " bytes)");
  if (e.end - e.begin != nbytes)
    throw CheckpointError(where + ": 'data_offsets' " + offsets_text(e.begin, e.end) + " span " +
                          std::to_string(e.end - e.begin) + " bytes but dtype " + dtype + " and 'shape' " +
                          safetensors_shape_text(e.shape) + " need " +
                          (overflow ? std::string("more than 2^64") : std::to_string(nbytes)));
  return e;
}

Header parse_header(const char* data, uint64_t size, const std::string& origin) {
  if (size < 8)
    throw CheckpointError(origin + ": " + std::to_string(size) + " bytes, too short for a safetensors header");
  uint64_t header_len;
  std::memcpy(&header_len, data, 8);
  if (header_len > size - 8)
    throw CheckpointError(origin + ": header length " + std::to_string(header_len) + " exceeds the file size (" +
                          std::to_string(size) + " bytes)");
  if (header_len > kMaxHeaderBytes)
    throw CheckpointError(origin + ": header length " + std::to_string(header_len) + " is absurd (limit " +
                          std::to_string(kMaxHeaderBytes) + ")");
  const char* text = data + 8;
  if (header_len < 2 || text[0] != '{') throw CheckpointError(origin + ": header is not a JSON object");
  if (json_depth(text, header_len) > kMaxJsonDepth)
    throw CheckpointError(origin + ": header JSON nests deeper than " + std::to_string(kMaxJsonDepth));
  json root;
  try {
    root = json::parse(text, text + header_len);
  } catch (const json::exception& e) {
    throw CheckpointError(origin + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!root.is_object()) throw CheckpointError(origin + ": header is not a JSON object");

  Header h;
  h.data_start = 8 + header_len;
  const uint64_t data_size = size - h.data_start;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) throw CheckpointError(origin + ": '__metadata__' is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          throw CheckpointError(origin + ": '__metadata__' entry '" + m.key() + "' is not a string");
        h.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    h.entries.push_back(parse_entry(it.key(), it.value(), data_size, origin));
  }

  // Two tensors must never share bytes (writing one would change the other); empty ones occupy nothing.
  std::vector<const Entry*> by_offset;
  for (const Entry& e : h.entries)
    if (e.end > e.begin) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const Entry* a, const Entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      throw CheckpointError(origin + ": tensor '" + by_offset[i]->name + "': 'data_offsets' " +
                            offsets_text(by_offset[i]->begin, by_offset[i]->end) + " overlap tensor '" +
                            by_offset[i - 1]->name + "' " +
                            offsets_text(by_offset[i - 1]->begin, by_offset[i - 1]->end));
  return h;
}

// A bool byte other than 0/1 is undefined behaviour for torch kernels; normalise instead of trusting the file.
torch::Tensor sanitise(torch::Tensor t) {
  if (t.scalar_type() == torch::kBool && t.numel() > 0) return t.view(torch::kUInt8).ne(0);
  return t;
}

struct Mapping {
  void* addr = MAP_FAILED;
  size_t size = 0;
  ~Mapping() {
    if (addr != MAP_FAILED) munmap(addr, size);
  }
};

struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

std::string safetensors_dtype_name(torch::ScalarType type) {
  for (const auto& d : kDtypes)
    if (d.type == type) return d.name;
  throw CheckpointError(std::string("safetensors cannot store dtype ") + c10::toString(type));
}

SafetensorsFile read_safetensors(const std::string& path) {
  FileDescriptor file;
  file.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) throw CheckpointError(path + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (fstat(file.fd, &st) != 0) throw CheckpointError(path + ": cannot stat (" + std::strerror(errno) + ")");
  if (!S_ISREG(st.st_mode)) throw CheckpointError(path + ": not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8)
    throw CheckpointError(path + ": " + std::to_string(size) + " bytes, too short for a safetensors header");

  // Private + writable: pages are shared with the page cache until someone writes to a tensor, which then gets
  // its own copy; a 100 MB checkpoint costs no heap memory until its tensors are copied into a module.
  auto mapping = std::make_shared<Mapping>();
  mapping->addr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
  if (mapping->addr == MAP_FAILED) throw CheckpointError(path + ": cannot map (" + std::strerror(errno) + ")");
  mapping->size = size;

  const char* base = static_cast<const char*>(mapping->addr);
  Header header = parse_header(base, size, path);
  SafetensorsFile result;
  result.metadata = std::move(header.metadata);
  for (const Entry& e : header.entries) {
    const auto options = torch::TensorOptions().dtype(e.type);
    char* ptr = static_cast<char*>(mapping->addr) + header.data_start + e.begin;
    torch::Tensor t;
    if (e.end == e.begin) {
      t = torch::empty(e.shape, options);
    } else if (reinterpret_cast<uintptr_t>(ptr) % c10::elementSize(e.type) != 0) {
      // Other writers need not align tensors; vectorised kernels may assume it, so copy those few.
      t = torch::from_blob(ptr, e.shape, options).clone();
    } else {
      t = torch::from_blob(ptr, e.shape, [mapping](void*) {}, options);
    }
    result.tensors[e.name] = sanitise(t);
  }
  return result;
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& origin) {
  Header header = parse_header(bytes.data(), bytes.size(), origin);
  SafetensorsFile result;
  result.metadata = std::move(header.metadata);
  for (const Entry& e : header.entries) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
    if (e.end > e.begin) std::memcpy(t.data_ptr(), bytes.data() + header.data_start + e.begin, e.end - e.begin);
    result.tensors[e.name] = sanitise(t);
  }
  return result;
}

namespace {

// The padded header text; `path` names the file in errors.
std::string header_text(const std::string& path, const StateDict& tensors,
                        const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__") throw CheckpointError(path + ": a tensor cannot be named '__metadata__'");
    if (!tensor.defined()) throw CheckpointError(path + ": tensor '" + name + "' is undefined");
    std::string dtype;
    try {
      dtype = safetensors_dtype_name(tensor.scalar_type());
    } catch (const CheckpointError& e) {
      throw CheckpointError(path + ": tensor '" + name + "': " + e.what());
    }
    const uint64_t nbytes = static_cast<uint64_t>(tensor.numel()) * tensor.element_size();
    header[name] = {{"dtype", dtype}, {"shape", tensor.sizes().vec()}, {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;

  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    throw CheckpointError(path + ": cannot encode header (" + e.what() + ")");
  }
  // The reference writer pads with spaces so the byte buffer starts 8-byte aligned, letting readers map
  // tensors in place.
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

void write_body(std::ostream& out, const std::string& header, const StateDict& tensors) {
  const uint64_t header_len = header.size();
  out.write(reinterpret_cast<const char*>(&header_len), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& [name, tensor] : tensors) {
    if (tensor.numel() == 0) continue;
    // One tensor at a time, so saving never holds a second copy of the whole model.
    const torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
    out.write(static_cast<const char*>(cpu.data_ptr()), static_cast<std::streamsize>(cpu.nbytes()));
  }
}

}  // namespace

std::string safetensors_bytes(const StateDict& tensors, const std::map<std::string, std::string>& metadata,
                              const std::string& origin) {
  std::ostringstream out;
  write_body(out, header_text(origin, tensors, metadata), tensors);
  return out.str();
}

void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string text = header_text(path, tensors, metadata);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw CheckpointError(path + ": cannot create " + tmp + " (" + std::strerror(errno) + ")");
    write_body(out, text, tensors);
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw CheckpointError(path + ": write failed (" + std::strerror(errno) + ")");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw CheckpointError(path + ": cannot rename " + tmp + " into place (" + ec.message() + ")");
  }
}

}  // namespace draggan
