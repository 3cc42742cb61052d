#include "server/codec/AnimatedPng.h"

#include <array>
#include <cstdint>

#include "draggan/core/Error.h"
#include "draggan/io/Image.h"

namespace draggan::server {
namespace {

constexpr char kSignature[] = "\x89PNG\r\n\x1a\n";

uint32_t crc32(const std::string& bytes) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (unsigned char b : bytes) c = table[(c ^ b) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}
void put_u16(std::string& out, uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}
uint32_t get_u32(const std::string& in, size_t pos) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(in[pos + i]);
  return v;
}

void put_chunk(std::string& out, const std::string& type, const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const std::string body = type + data;
  out += body;
  put_u32(out, crc32(body));
}

struct Chunk {
  std::string type;
  std::string data;
};

std::vector<Chunk> read_chunks(const std::string& png) {
  std::vector<Chunk> chunks;
  if (png.compare(0, 8, std::string(kSignature, 8)) != 0) throw Error("animated PNG: not a PNG frame");
  for (size_t pos = 8; pos + 12 <= png.size();) {
    const uint32_t length = get_u32(png, pos);
    if (pos + 12 + length > png.size()) throw Error("animated PNG: truncated frame chunk");
    chunks.push_back({png.substr(pos + 4, 4), png.substr(pos + 8, length)});
    pos += 12 + length;
  }
  return chunks;
}

std::string frame_control(uint32_t sequence, uint32_t width, uint32_t height, int delay_ms) {
  std::string data;
  put_u32(data, sequence);
  put_u32(data, width);
  put_u32(data, height);
  put_u32(data, 0);  // x offset
  put_u32(data, 0);  // y offset
  put_u16(data, static_cast<uint16_t>(delay_ms));
  put_u16(data, 1000);  // delay denominator: milliseconds
  data += '\0';         // dispose: none
  data += '\0';         // blend: source (frames are opaque and full-size)
  return data;
}

}  // namespace

std::string encode_animated_png(const std::vector<torch::Tensor>& frames, int frame_ms, int last_frame_ms) {
  if (frames.empty()) throw InputError("animation: no frames");
  const int64_t height = frames[0].size(0), width = frames[0].size(1);
  std::string out(kSignature, 8);
  uint32_t sequence = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].size(0) != height || frames[i].size(1) != width)
      throw InputError("animation: frame " + std::to_string(i) + " has another size than the first");
    const std::vector<Chunk> chunks = read_chunks(encode_png(frames[i]));
    if (i == 0) {
      for (const auto& c : chunks)
        if (c.type == "IHDR") put_chunk(out, "IHDR", c.data);
      std::string control;
      put_u32(control, static_cast<uint32_t>(frames.size()));
      put_u32(control, 0);  // loop forever
      put_chunk(out, "acTL", control);
    }
    const int delay = i + 1 == frames.size() ? last_frame_ms : frame_ms;
    put_chunk(out, "fcTL", frame_control(sequence++, width, height, delay));
    for (const auto& c : chunks) {
      if (c.type != "IDAT") continue;
      if (i == 0) {
        put_chunk(out, "IDAT", c.data);  // the first frame doubles as the still image
      } else {
        std::string data;
        put_u32(data, sequence++);
        put_chunk(out, "fdAT", data + c.data);
      }
    }
  }
  put_chunk(out, "IEND", "");
  return out;
}

}  // namespace draggan::server
