#include "draggan/io/ImageResize.h"

#include <algorithm>
#include <vector>

#include "draggan/core/Error.h"
#include "draggan/io/Image.h"

namespace draggan {
namespace {
namespace F = torch::nn::functional;

torch::Tensor resize(const torch::Tensor& nchw, int64_t height, int64_t width) {
  if (nchw.size(2) == height && nchw.size(3) == width) return nchw;
  return F::interpolate(nchw, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{height, width})
                                  .mode(torch::kBilinear)
                                  .align_corners(false)
                                  .antialias(true));
}

// uint8 [H, W, C] rows -> float [1, channels, rows, W], with the luma taken before resizing (both are linear,
// and one channel is cheaper to resample than three).
torch::Tensor to_float(const torch::Tensor& hwc, int channels) {
  torch::Tensor x = hwc.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32);
  if (channels == 1 && x.size(1) == 3)
    x = (x * torch::tensor({0.299f, 0.587f, 0.114f}).view({1, 3, 1, 1})).sum(1, /*keepdim=*/true);
  return x;
}

// The antialiased resize of the whole image without a float copy of it: the resize is separable and LibTorch
// does the width first, so resizing bands of rows along the width, then the whole along the height, gives the
// same numbers as one call (checked bit for bit), with only one band in float at a time (a 16 Mpx photo
// would otherwise take 200 MB as float, twice that with the luma).
torch::Tensor resize_in_bands(const torch::Tensor& hwc, int channels, int64_t out_h, int64_t out_w) {
  const int64_t h = hwc.size(0), w = hwc.size(1);
  constexpr int64_t kBandFloats = int64_t{4} << 20;
  const int64_t rows = std::max<int64_t>(1, kBandFloats / std::max<int64_t>(1, w * hwc.size(2)));
  if (rows >= h) return resize(to_float(hwc, channels), out_h, out_w);
  std::vector<torch::Tensor> bands;
  for (int64_t r = 0; r < h; r += rows) {
    const torch::Tensor band = to_float(hwc.slice(0, r, std::min(h, r + rows)), channels);
    bands.push_back(resize(band, band.size(2), out_w));
  }
  return resize(torch::cat(bands, 2), out_h, out_w);
}
}  // namespace

torch::Tensor fit_image(const torch::Tensor& hwc_uint8, int height, int width, int channels, FitMode mode) {
  if (!hwc_uint8.defined() || hwc_uint8.scalar_type() != torch::kUInt8)
    throw InputError("fit_image: expected a uint8 [H, W, C] image");
  torch::Tensor image = hwc_uint8.dim() == 2 ? hwc_uint8.unsqueeze(2) : hwc_uint8;
  if (image.dim() != 3 || image.size(2) < 1 || image.size(2) > 4)
    throw InputError("fit_image: expected [H, W, C] with 1 to 4 channels, got " + c10::str(hwc_uint8.sizes()));
  const int64_t h = image.size(0), w = image.size(1);
  if (h <= 0 || w <= 0) throw InputError("fit_image: image has zero size " + c10::str(hwc_uint8.sizes()));
  if (height < 1 || height > kMaxImageSide || width < 1 || width > kMaxImageSide)
    throw InputError("fit_image: frame " + std::to_string(width) + "x" + std::to_string(height) +
                     " (width x height) is out of range");
  if (channels != 1 && channels != 3)
    throw InputError("fit_image: channels must be 1 or 3, got " + std::to_string(channels));

  image = image.detach().to(torch::kCPU).slice(2, 0, image.size(2) <= 2 ? 1 : 3);
  if (mode == FitMode::CenterCrop) {
    // The largest crop with the frame's aspect ratio: full height when the photo is wider than the frame.
    int64_t ch = h, cw = w;
    if (w * height > h * width) cw = std::max<int64_t>(1, (h * width + height / 2) / height);
    else ch = std::max<int64_t>(1, (w * height + width / 2) / width);
    image = image.slice(0, (h - ch) / 2, (h - ch) / 2 + ch).slice(1, (w - cw) / 2, (w - cw) / 2 + cw);
  }
  int64_t out_h = height, out_w = width;
  if (mode == FitMode::Pad) {
    // Scale so the whole photo fits: the limiting side fills the frame.
    if (w * height > h * width) out_h = std::max<int64_t>(1, (h * width + w / 2) / w);
    else out_w = std::max<int64_t>(1, (w * height + h / 2) / h);
    out_h = std::min<int64_t>(out_h, height);
    out_w = std::min<int64_t>(out_w, width);
  }
  torch::Tensor x = resize_in_bands(image, channels, out_h, out_w);
  if (mode == FitMode::Pad) {
    const int64_t top = (height - out_h) / 2, left = (width - out_w) / 2;
    x = F::pad(x, F::PadFuncOptions({left, width - out_w - left, top, height - out_h - top}).value(0.0));
  }
  if (channels == 3 && x.size(1) == 1) x = x.expand({1, 3, height, width});
  return (x.clamp(0, 255) / 127.5 - 1.0).contiguous();
}

FitMode parse_fit_mode(const std::string& text) {
  if (text == "crop" || text == "center-crop" || text == "center_crop") return FitMode::CenterCrop;
  if (text == "pad") return FitMode::Pad;
  throw InputError("unknown fit mode '" + text + "' (expected 'crop' or 'pad')");
}

}  // namespace draggan
