#include "draggan/io/ImageDecodeGuard.h"

#include "draggan/core/Error.h"

namespace draggan {
namespace {

bool is_png(const std::string& b) { return b.size() >= 8 && b.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) == 0; }
bool is_jpeg(const std::string& b) { return b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xff &&
                                            static_cast<unsigned char>(b[1]) == 0xd8 && static_cast<unsigned char>(b[2]) == 0xff; }

// Walks a JPEG's markers: the number of scans, and whether it ends with EOI. Entropy-coded data after a scan
// header runs to the next marker that is not a restart (RSTn) or a stuffed 0xFF00.
void check_jpeg(const std::string& b, const std::string& origin) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(b[i]); };
  int scans = 0, component_scans = 0;
  size_t pos = 2;  // after SOI
  while (pos < b.size()) {
    if (byte(pos) != 0xff) {  // garbage between segments: stb skips it too
      ++pos;
      continue;
    }
    while (pos < b.size() && byte(pos) == 0xff) ++pos;  // fill bytes
    if (pos >= b.size()) break;
    const unsigned marker = byte(pos++);
    if (marker == 0xd9) return;  // EOI
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;  // no length
    if (pos + 2 > b.size()) break;
    const size_t length = (size_t{byte(pos)} << 8) | byte(pos + 1);
    if (length < 2 || pos + length > b.size()) break;
    if (marker == 0xda && length > 2) component_scans += byte(pos + 2);  // Ns: the scan's components
    pos += length;
    if (marker != 0xda) continue;
    if (++scans > kMaxJpegScans || component_scans > kMaxJpegComponentScans)
      throw InputError(origin + ": JPEG has more than " + std::to_string(kMaxJpegScans) + " scans or " +
                       std::to_string(kMaxJpegComponentScans) +
                       " components in its scans (a progressive image has about 10 and 12); refused before decoding");
    while (pos + 1 < b.size()) {  // entropy-coded data
      if (byte(pos) == 0xff && byte(pos + 1) != 0x00 && !(byte(pos + 1) >= 0xd0 && byte(pos + 1) <= 0xd7)) break;
      ++pos;
    }
  }
  throw InputError(origin + ": the JPEG is truncated (no end-of-image marker)");
}

}  // namespace

void check_decode_work(const std::string& bytes, int64_t width, int64_t height, int64_t max_pixels,
                       const std::string& origin) {
  if (is_png(bytes)) return;
  const int64_t pixels = width * height;
  if (pixels > static_cast<int64_t>(bytes.size()) * kMaxPixelsPerByte)
    throw InputError(origin + ": a " + std::to_string(bytes.size()) + "-byte file cannot hold a " +
                     std::to_string(width) + "x" + std::to_string(height) + " image (truncated or forged)");
  if (bytes.rfind("#?", 0) == 0 && pixels * kHdrPixelCost > max_pixels)
    throw InputError(origin + ": a Radiance HDR image may have at most " + std::to_string(max_pixels / kHdrPixelCost) +
                     " pixels (its decode costs " + std::to_string(kHdrPixelCost) + "x an 8-bit image's); this one is " +
                     std::to_string(width) + "x" + std::to_string(height));
  if (is_jpeg(bytes)) check_jpeg(bytes, origin);
}

}  // namespace draggan
