// Image files in and out (stb): the editor's uploads, `draggan project` targets, generated PNGs.
#pragma once
#include <torch/torch.h>

#include <string>

namespace draggan {

// Largest accepted image: 16384 px on a side and 2^28 pixels in all (checked before decoding, so a hostile
// header cannot make us allocate gigabytes).
constexpr int kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// Any format stb reads: PNG (8/16-bit), JPEG (baseline/progressive), BMP, GIF (first frame), TGA, PSD
// (composited), PNM, HDR (tone-mapped to 8 bits and clamped). Returns uint8 [H, W, C], C = 1 (gray) or 3 (RGB).
// An alpha channel is dropped, not composited: the colour under a transparent pixel is kept, as PIL's
// convert('RGB') (used by the official projector and dataset tool) does. Throws InputError naming the file.
torch::Tensor read_image(const std::string& path);
// Same, from the bytes of a file (an upload); `origin` names it in errors.
torch::Tensor decode_image(const std::string& bytes, const std::string& origin);

// uint8 [H, W, C] (C = 1..4) or [H, W] (gray), any device/stride. Throws InputError on a bad tensor or an
// unwritable path.
void write_png(const std::string& path, const torch::Tensor& hwc_uint8);
std::string encode_png(const torch::Tensor& hwc_uint8);

// The official renderer's display conversion of item 0 of a float NCHW image in [-1, 1]:
// (x * 127.5 + 128).clamp(0, 255).to(uint8) — note +128 and truncation, not rounding — as [H, W, C] uint8.
torch::Tensor image_to_uint8(const torch::Tensor& nchw);

}  // namespace draggan
