#include "draggan/train/ImageDataset.h"

#include <algorithm>
#include <filesystem>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/io/Image.h"
#include "draggan/io/ImageResize.h"
#include "draggan/train/IdxFile.h"

namespace draggan {
namespace fs = std::filesystem;
namespace {

bool has_image_extension(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  static const std::vector<std::string> kExtensions{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga",
                                                     ".psd", ".pnm", ".ppm", ".pgm", ".hdr"};
  return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

// float [1, C, R, R] in [-1, 1] -> uint8 [C, R, R], rounding back to the nearest level.
torch::Tensor to_uint8(const torch::Tensor& x) {
  return ((x[0] + 1) * 127.5).round().clamp(0, 255).to(torch::kUInt8);
}

}  // namespace

torch::Tensor read_image_folder(const std::string& dir, int resolution, int channels) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && has_image_extension(it->path())) files.push_back(it->path());
  if (ec) throw InputError(dir + ": cannot list the folder: " + ec.message());
  if (files.empty()) throw InputError(dir + ": no images found (png, jpg, bmp, gif, tga, psd, pnm, hdr)");
  std::sort(files.begin(), files.end());
  torch::Tensor out = torch::empty({static_cast<int64_t>(files.size()), channels, resolution, resolution}, torch::kUInt8);
  for (size_t i = 0; i < files.size(); ++i) {
    // read_image names the file in its InputError; fit_image's errors get the name added here.
    torch::Tensor hwc = read_image(files[i].string());
    try {
      out[static_cast<int64_t>(i)].copy_(to_uint8(fit_image(hwc, resolution, resolution, channels)));
    } catch (const InputError& e) {
      throw InputError(files[i].string() + ": " + e.what());
    }
  }
  return out;
}

torch::Tensor fit_idx_images(const torch::Tensor& images, int resolution, int channels) {
  const int64_t n = images.size(0), h = images.size(1), w = images.size(2);
  if (h <= resolution && w <= resolution) {
    // MNIST-style digits sit on a black background: padding keeps their scale (28 -> 32 adds 2 px a side).
    const int64_t top = (resolution - h) / 2, left = (resolution - w) / 2;
    torch::Tensor out = torch::zeros({n, 1, resolution, resolution}, torch::kUInt8);
    out.index_put_({torch::indexing::Slice(), 0, torch::indexing::Slice(top, top + h),
                    torch::indexing::Slice(left, left + w)},
                   images);
    return channels == 1 ? out : out.repeat({1, channels, 1, 1});
  }
  torch::Tensor out = torch::empty({n, channels, resolution, resolution}, torch::kUInt8);
  for (int64_t i = 0; i < n; ++i) out[i].copy_(to_uint8(fit_image(images[i].unsqueeze(-1), resolution, resolution, channels)));
  return out;
}

ImageDataset load_dataset(const std::vector<std::string>& paths, int resolution, int channels) {
  if (paths.empty()) throw InputError("no training data given");
  if (channels != 1 && channels != 3) throw InputError("channels must be 1 or 3, got " + std::to_string(channels));
  ImageDataset ds;
  std::vector<torch::Tensor> parts;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      parts.push_back(read_image_folder(path, resolution, channels));
    } else if (fs::is_regular_file(path, ec)) {
      if (!looks_like_idx(path))
        throw InputError(path + ": not a folder of images or an IDX file (such as Fashion-MNIST's "
                                "train-images-idx3-ubyte.gz)");
      parts.push_back(fit_idx_images(read_idx_images(path), resolution, channels));
    } else {
      throw InputError(path + ": no such file or folder");
    }
    ds.sources.push_back(path);
    log::info("data: ", path, ": ", parts.back().size(0), " images");
  }
  ds.images = parts.size() == 1 ? parts[0] : torch::cat(parts, 0);
  return ds;
}

}  // namespace draggan
