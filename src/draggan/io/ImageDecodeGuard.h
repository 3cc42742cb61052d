// Bounds on the work an image decode may cost, checked from the file's bytes before decoding (issue 31: a
// 30 kB progressive JPEG that repeats an empty scan 3000 times cost stb 10 s of CPU for 4096x4096 pixels,
// every scan a pass over every block; a 151-byte HDR declaring 4096x4096 decoded to 200 MB of zeros):
//  - a JPEG may have at most kMaxJpegScans scans and kMaxJpegComponentScans components in all its scans
//    (libjpeg's progressive script writes 10 scans of 12 components for colour, 6 for gray; each component
//    of each scan is a pass over the image's blocks), and must end with its end-of-image marker;
//  - no format but PNG (whose inflated size PngInflateGuard bounds) may declare more than
//    kMaxPixelsPerByte pixels per byte of file: no encoder packs a real image tighter (RLE formats stop
//    near 128 pixels per 2 bytes, LZW GIF near 1400 per byte, JPEG near 512), so a file that does is
//    truncated or forged;
//  - a Radiance HDR counts 4 times its pixels against the budget: stb converts every float channel with
//    pow() (a 16.8 Mpx HDR cost 2.5 s of CPU, 8 times a JPEG of the same size).
#pragma once
#include <cstdint>
#include <string>

namespace draggan {

constexpr int kMaxJpegScans = 32;
constexpr int kMaxJpegComponentScans = 48;
constexpr int64_t kMaxPixelsPerByte = 2048;
constexpr int64_t kHdrPixelCost = 4;

// Throws InputError naming `origin` when `bytes`, an image of width x height decoded within `max_pixels`,
// passes a bound above.
void check_decode_work(const std::string& bytes, int64_t width, int64_t height, int64_t max_pixels,
                       const std::string& origin);

}  // namespace draggan
