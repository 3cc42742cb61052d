#include "draggan/io/Image.h"

#include <stb_image.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "draggan/core/Error.h"
#include "draggan/io/ImageDecodeGuard.h"
#include "draggan/io/PngInflateGuard.h"

namespace draggan {
namespace {

// Compressed files this large are not images a person edits; refuse before reading them into memory.
constexpr uintmax_t kMaxImageFileBytes = uintmax_t{1} << 30;

std::string pixel_count_text(int64_t pixels) {
  return pixels % (1 << 20) == 0 ? std::to_string(pixels >> 20) + " Mpx"
                                 : std::to_string(pixels) + " pixels";
}

void check_dimensions(int64_t width, int64_t height, const std::string& origin,
                      const ImageBudget& budget = kDefaultImageBudget) {
  if (width <= 0 || height <= 0)
    throw InputError(origin + ": image has zero size (" + std::to_string(width) + "x" + std::to_string(height) + ")");
  if (width > budget.max_side || height > budget.max_side || width * height > budget.max_pixels)
    throw InputError(origin + ": image is " + std::to_string(width) + "x" + std::to_string(height) +
                     ", larger than the limit of " + std::to_string(budget.max_side) + " px per side and " +
                     pixel_count_text(budget.max_pixels) + " in all");
}

std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason ? reason : "unknown error";
}

// The bytes stb decodes, through its callback interface: reading past the end (stb then decodes zeros) is a
// truncated file, and the caller's `abandoned` is asked every so often.
class DecodeSource {
 public:
  DecodeSource(const std::string& bytes, const std::function<bool()>& abandoned)
      : bytes_(bytes), abandoned_(abandoned) {}
  stbi_io_callbacks callbacks() const { return {&DecodeSource::read, &DecodeSource::skip, &DecodeSource::eof}; }
  bool read_past_end() const { return past_end_; }
  bool abandoned() const { return gave_up_; }

 private:
  static int read(void* user, char* data, int size) {
    auto& s = *static_cast<DecodeSource*>(user);
    if (s.abandoned_ && ++s.reads_ % 64 == 0 && s.abandoned_()) s.gave_up_ = true;
    if (s.gave_up_) return 0;  // the decoder sees the end of the file and stops soon after
    const size_t n = std::min(static_cast<size_t>(std::max(size, 0)), s.bytes_.size() - s.pos_);
    if (n == 0 && size > 0) s.past_end_ = true;
    std::memcpy(data, s.bytes_.data() + s.pos_, n);
    s.pos_ += n;
    return static_cast<int>(n);
  }
  static void skip(void* user, int n) {
    auto& s = *static_cast<DecodeSource*>(user);
    const int64_t to = static_cast<int64_t>(s.pos_) + n;
    s.pos_ = static_cast<size_t>(std::clamp<int64_t>(to, 0, static_cast<int64_t>(s.bytes_.size())));
  }
  static int eof(void* user) {
    const auto& s = *static_cast<DecodeSource*>(user);
    return s.gave_up_ || s.pos_ >= s.bytes_.size();
  }

  const std::string& bytes_;
  const std::function<bool()>& abandoned_;
  size_t pos_ = 0;
  size_t reads_ = 0;
  bool past_end_ = false;
  bool gave_up_ = false;
};

}  // namespace

ImageInfo image_info(const std::string& bytes, const std::string& origin) {
  if (bytes.empty()) throw InputError(origin + ": empty file");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw InputError(origin + ": file is too large for an image");
  ImageInfo info;
  if (!stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()),
                             &info.width, &info.height, &info.channels))
    throw InputError(origin + ": not a readable image (" + stb_reason() + ")");
  return info;
}

ImageInfo read_image_info(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path + ": no such image file");
  ImageInfo info;
  if (!stbi_info(path.c_str(), &info.width, &info.height, &info.channels))
    throw InputError(path + ": not a readable image (" + stb_reason() + ")");
  return info;
}

torch::Tensor decode_image(const std::string& bytes, const std::string& origin, const ImageBudget& budget,
                           const std::function<bool()>& abandoned) {
  // The header first, so a forged size is refused before stb allocates for it, then what decoding would cost.
  const ImageInfo info = image_info(bytes, origin);
  check_dimensions(info.width, info.height, origin, budget);
  check_png_inflated_size(bytes, origin);
  check_decode_work(bytes, info.width, info.height, budget.max_pixels, origin);

  DecodeSource source(bytes, abandoned);
  const stbi_io_callbacks callbacks = source.callbacks();
  int width = 0, height = 0, comp = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_callbacks(&callbacks, &source, &width, &height, &comp, 0),
                                                   stbi_image_free);
  if (source.abandoned()) throw InputError(origin + ": decoding abandoned (the client left)");
  if (!pixels) throw InputError(origin + ": cannot decode image (" + stb_reason() + ")");
  if (source.read_past_end()) throw InputError(origin + ": the file is truncated (it ends before its pixels do)");
  check_dimensions(width, height, origin, budget);
  if (comp < 1 || comp > 4) throw InputError(origin + ": unsupported channel count " + std::to_string(comp));

  const int64_t keep = comp <= 2 ? 1 : 3;  // gray+alpha -> gray, RGBA -> RGB
  const torch::Tensor view = torch::from_blob(pixels.get(), {height, width, comp}, torch::kUInt8);
  // One copy out of stb's buffer (dropping alpha makes it non-contiguous, and contiguous() then copies).
  return keep == comp ? view.clone() : view.slice(2, 0, keep).contiguous();
}

torch::Tensor read_image(const std::string& path, const ImageBudget& budget) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InputError(path + ": no such image file");
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(path + ": cannot read (" + ec.message() + ")");
  if (size > kMaxImageFileBytes) throw InputError(path + ": file is too large for an image");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open");
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (in.gcount() != static_cast<std::streamsize>(size)) throw InputError(path + ": cannot read");
  return decode_image(bytes, path, budget);
}

namespace {

// image_to_uint8 of a float32 [C, H, W] image (any strides) in one pass: the same float operations as the
// tensor expression below (multiply, add, clamp, NaN to 0, truncate), without its five intermediate images.
torch::Tensor float_image_to_uint8(const torch::Tensor& chw) {
  const int64_t channels = chw.size(0), height = chw.size(1), width = chw.size(2);
  const int64_t sc = chw.stride(0), sy = chw.stride(1), sx = chw.stride(2);
  torch::Tensor out = torch::empty({height, width, channels}, torch::kUInt8);
  const float* in = chw.data_ptr<float>();
  uint8_t* op = out.data_ptr<uint8_t>();
  at::parallel_for(0, height, 16, [&](int64_t begin, int64_t end) {
    for (int64_t y = begin; y < end; ++y)
      for (int64_t x = 0; x < width; ++x)
        for (int64_t c = 0; c < channels; ++c) {
          float v = in[c * sc + y * sy + x * sx] * 127.5f;
          v = v + 128.0f;
          v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);  // NaN passes both tests
          op[(y * width + x) * channels + c] = std::isnan(v) ? 0 : static_cast<uint8_t>(v);
        }
  });
  return out;
}

}  // namespace

torch::Tensor image_to_uint8(const torch::Tensor& nchw) {
  if (!nchw.defined() || nchw.dim() != 4 || nchw.size(0) < 1)
    throw InputError("image_to_uint8: expected an [N, C, H, W] image, got " +
                     (nchw.defined() ? c10::str(nchw.sizes()) : std::string("nothing")));
  if (!nchw.is_floating_point()) throw InputError("image_to_uint8: expected a floating-point image");
  // Same two roundings as the official `img * 127.5 + 128` in the image's own dtype; NaN (a diverged edit)
  // becomes black instead of an undefined uint8 cast.
  const torch::Tensor x = nchw[0].detach().to(torch::kCPU);
  if (x.scalar_type() == torch::kFloat32) return float_image_to_uint8(x);
  return torch::nan_to_num((x * 127.5 + 128).clamp(0, 255), 0.0)
      .to(torch::kUInt8)
      .permute({1, 2, 0})
      .contiguous();
}

}  // namespace draggan
