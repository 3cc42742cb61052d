#include "draggan/io/Npy.h"

#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

struct DescrInfo {
  const char* descr;
  torch::ScalarType type;
};
const DescrInfo kDescrs[] = {{"<f4", torch::kFloat32}, {"<f8", torch::kFloat64}, {"<f2", torch::kFloat16},
                             {"|u1", torch::kUInt8},   {"|i1", torch::kInt8},    {"<i2", torch::kInt16},
                             {"<i4", torch::kInt32},   {"<i8", torch::kInt64},   {"|b1", torch::kBool}};

std::string header_field(const std::string& header, const std::string& key, const std::string& origin) {
  std::regex re("'" + key + "'\\s*:\\s*('[^']*'|True|False|\\([^)]*\\))");
  std::smatch m;
  if (!std::regex_search(header, m, re)) throw InputError(origin + ": .npy header has no '" + key + "'");
  return m[1];
}

}  // namespace

torch::Tensor parse_npy(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw InputError(origin + ": not a .npy file");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(origin + ": truncated .npy header");
    uint32_t len;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    offset = 12;
  } else {
    throw InputError(origin + ": unsupported .npy version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) throw InputError(origin + ": truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  offset += header_len;

  std::string descr = header_field(header, "descr", origin);
  descr = descr.substr(1, descr.size() - 2);
  if (header_field(header, "fortran_order", origin) != "False")
    throw InputError(origin + ": Fortran-order arrays are not supported");
  const DescrInfo* info = nullptr;
  for (const auto& d : kDescrs)
    if (descr == d.descr) info = &d;
  if (!info) throw InputError(origin + ": unsupported dtype '" + descr + "'");

  std::vector<int64_t> shape;
  std::string shape_text = header_field(header, "shape", origin);
  std::regex num("\\d+");
  for (auto it = std::sregex_iterator(shape_text.begin(), shape_text.end(), num); it != std::sregex_iterator(); ++it)
    shape.push_back(std::stoll(it->str()));
  int64_t count = 1;
  for (int64_t s : shape) {
    if (s > (int64_t{1} << 40) / std::max<int64_t>(count, 1)) throw InputError(origin + ": absurd .npy shape");
    count *= s;
  }
  const size_t nbytes = static_cast<size_t>(count) * c10::elementSize(info->type);
  if (bytes.size() - offset < nbytes)
    throw InputError(origin + ": truncated .npy data (" + std::to_string(bytes.size() - offset) + " of " +
                     std::to_string(nbytes) + " bytes)");
  torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(info->type));
  if (nbytes > 0) std::memcpy(t.data_ptr(), bytes.data() + offset, nbytes);  // an empty tensor has no data pointer
  return t;
}

torch::Tensor read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_npy(buffer.str(), path);
}

void write_npy(const std::string& path, const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().cpu().contiguous();
  const DescrInfo* info = nullptr;
  for (const auto& d : kDescrs)
    if (t.scalar_type() == d.type) info = &d;
  if (!info) throw InputError(path + ": cannot write dtype " + std::string(c10::toString(t.scalar_type())));
  std::ostringstream shape;
  shape << "(";
  for (int64_t i = 0; i < t.dim(); ++i) shape << t.size(i) << (t.dim() == 1 || i + 1 < t.dim() ? "," : "");
  shape << ")";
  std::string header = std::string("{'descr': '") + info->descr + "', 'fortran_order': False, 'shape': " + shape.str() + ", }";
  // Pad so that the data starts on a 64-byte boundary, as NumPy does.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(path + ": cannot write");
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t len = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xff));
  out.put(static_cast<char>(len >> 8));
  out << header;
  out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
  if (!out) throw InputError(path + ": write failed");
}

}  // namespace draggan
