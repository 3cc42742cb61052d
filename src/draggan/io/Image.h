// Image files in and out: the editor's uploads, `draggan project` targets, generated PNGs. Reading is stb's;
// writing is libpng's (io/PngWriter.h, which also writes the provenance record of provenance/).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>

namespace draggan {

// The largest image a decode accepts, checked from the file's header before anything is decoded (a 1 MB PNG
// can declare 16000x16000 pixels: gigabytes once decoded). Decoding costs up to ~20 bytes per pixel (stb's
// buffers, 16-bit and float formats), and fitting a photo to a model ~12 more.
struct ImageBudget {
  int max_side;
  int64_t max_pixels;
};
constexpr int kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t{1} << 25;  // 33.5 Mpx: an 8K frame, a 6000x4000 photo
constexpr ImageBudget kDefaultImageBudget{kMaxImageSide, kMaxImagePixels};

// What an image file's header says, without decoding it.
struct ImageInfo {
  int width = 0;
  int height = 0;
  int channels = 0;  // as stored (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)
};
// Throws InputError naming `origin` when the bytes are not an image stb reads.
ImageInfo image_info(const std::string& bytes, const std::string& origin);
// The same from a file, reading only its header.
ImageInfo read_image_info(const std::string& path);

// Any format stb reads: PNG (8/16-bit), JPEG (baseline/progressive), BMP, GIF (first frame), TGA, PSD
// (composited), PNM, HDR (tone-mapped to 8 bits and clamped). Returns uint8 [H, W, C], C = 1 (gray) or 3 (RGB).
// An alpha channel is dropped, not composited: the colour under a transparent pixel is kept, as PIL's
// convert('RGB') (used by the official projector and dataset tool) does. Throws InputError naming the file,
// also when the header declares more than `budget`, a PNG's data inflates beyond its declared size, the
// decode would cost more than ImageDecodeGuard.h allows, or the file ends before its pixels do (stb would
// fill the rest with zeros).
torch::Tensor read_image(const std::string& path, const ImageBudget& budget = kDefaultImageBudget);
// Same, from the bytes of a file (an upload); `origin` names it in errors. `abandoned` (optional) is asked
// as the decoder reads: when it turns true (the client left) the decode stops early and throws InputError.
torch::Tensor decode_image(const std::string& bytes, const std::string& origin,
                           const ImageBudget& budget = kDefaultImageBudget,
                           const std::function<bool()>& abandoned = {});

// uint8 [H, W, C] (C = 1..4) or [H, W] (gray), any device/stride. Throws InputError on a bad tensor or an
// unwritable path. Without a provenance record: generated images are written with io/PngWriter.h's forms.
void write_png(const std::string& path, const torch::Tensor& hwc_uint8);
std::string encode_png(const torch::Tensor& hwc_uint8);

// The official renderer's display conversion of item 0 of a float NCHW image in [-1, 1]:
// (x * 127.5 + 128).clamp(0, 255).to(uint8) — note +128 and truncation, not rounding — as [H, W, C] uint8.
torch::Tensor image_to_uint8(const torch::Tensor& nchw);

}  // namespace draggan
