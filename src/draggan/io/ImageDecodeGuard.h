// Bounds on the work an image decode may cost, checked from the file's bytes before decoding (issue 31: a
// 30 kB progressive JPEG that repeats an empty scan 3000 times cost stb 10 s of CPU for 4096x4096 pixels,
// every scan a pass over every block; a 151-byte HDR declaring 4096x4096 decoded to 200 MB of zeros):
//  - a JPEG may have at most kMaxJpegScans scans (progressive encoders write about 10) and must end with
//    its end-of-image marker;
//  - no format but PNG (whose inflated size PngInflateGuard bounds) may declare more than
//    kMaxPixelsPerByte pixels per byte of file: no encoder packs a real image tighter (RLE formats stop
//    near 128 pixels per 2 bytes, LZW GIF near 1400 per byte, JPEG near 512), so a file that does is
//    truncated or forged.
#pragma once
#include <cstdint>
#include <string>

namespace draggan {

constexpr int kMaxJpegScans = 64;
constexpr int64_t kMaxPixelsPerByte = 2048;

// Throws InputError naming `origin` when `bytes`, an image of width x height, passes a bound above.
void check_decode_work(const std::string& bytes, int64_t width, int64_t height, const std::string& origin);

}  // namespace draggan
