#include "draggan/io/PngInflateGuard.h"

#include <zlib.h>

#include <array>
#include <cstdint>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

uint32_t be32(const std::string& s, size_t pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}

// Bytes of filtered scanlines an image of this header needs, with room for Adam7's seven passes.
uint64_t needed_bytes(uint64_t width, uint64_t height, int bit_depth, int colour_type) {
  const int channels = colour_type == 0 ? 1 : colour_type == 2 ? 3 : colour_type == 3 ? 1 : colour_type == 4 ? 2 : 4;
  const uint64_t row = (width * channels * static_cast<uint64_t>(bit_depth) + 7) / 8;
  return height * (row + 1) + 8 * (height + 8) + 1024;
}

}  // namespace

void check_png_inflated_size(const std::string& bytes, const std::string& origin) {
  static const char kSignature[] = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 8 || bytes.compare(0, 8, kSignature, 8) != 0) return;
  uint64_t allowed = 0;
  uint32_t width = 0, height = 0;
  bool raw_deflate = false;  // Apple's CgBI PNGs store a bare deflate stream
  z_stream z{};
  bool started = false;
  std::array<unsigned char, 1 << 16> scratch;
  uint64_t produced = 0;
  for (size_t pos = 8; pos + 8 <= bytes.size();) {
    const uint32_t length = be32(bytes, pos);
    const std::string type = bytes.substr(pos + 4, 4);
    if (length > bytes.size() - pos - 8) break;  // truncated: stb says so
    const size_t data = pos + 8;
    if (type == "CgBI") raw_deflate = true;
    if (type == "IHDR" && length >= 13) {
      const int bit_depth = static_cast<unsigned char>(bytes[data + 8]);
      const int colour_type = static_cast<unsigned char>(bytes[data + 9]);
      width = be32(bytes, data);
      height = be32(bytes, data + 4);
      allowed = needed_bytes(width, height, bit_depth > 16 ? 16 : bit_depth, colour_type);
    }
    if (type == "IDAT" && allowed > 0) {
      if (!started) {
        if (inflateInit2(&z, raw_deflate ? -15 : 15) != Z_OK) return;
        started = true;
      }
      z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + data));
      z.avail_in = length;
      int rc = Z_OK;
      while (z.avail_in > 0 && rc == Z_OK) {
        z.next_out = scratch.data();
        z.avail_out = static_cast<uInt>(scratch.size());
        rc = inflate(&z, Z_NO_FLUSH);
        produced += scratch.size() - z.avail_out;
        if (produced > allowed) {
          inflateEnd(&z);
          throw InputError(origin + ": PNG pixel data inflates to more than its " + std::to_string(width) + "x" +
                           std::to_string(height) + " size needs (a decompression bomb?)");
        }
        if (rc == Z_BUF_ERROR && z.avail_out != 0) break;  // wants the next IDAT
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) break;  // end of stream, or corrupt: stb decides
    }
    if (type == "IEND") break;
    pos = data + length + 4;  // + CRC
  }
  if (started) inflateEnd(&z);
}

}  // namespace draggan
