// Training images in memory: uint8 [N, C, R, R] on the CPU (70k Fashion-MNIST images at 32x32 are 72 MB), read
// from image folders and IDX files and brought to the training resolution and channel count.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace draggan {

struct ImageDataset {
  torch::Tensor images;  // uint8 [N, C, R, R]
  std::vector<std::string> sources;

  int64_t size() const { return images.size(0); }
  int channels() const { return static_cast<int>(images.size(1)); }
  int resolution() const { return static_cast<int>(images.size(2)); }
};

// Each path is a folder (every image inside, recursively, in sorted order: resized/cropped to the resolution)
// or an IDX file (smaller images padded with black to the resolution, larger ones resized). Throws InputError
// for an empty folder, an unreadable image (naming it) or a path that is neither.
ImageDataset load_dataset(const std::vector<std::string>& paths, int resolution, int channels);

// One folder: uint8 [N, C, R, R].
torch::Tensor read_image_folder(const std::string& dir, int resolution, int channels);

// IDX images [N, H, W] -> uint8 [N, C, R, R].
torch::Tensor fit_idx_images(const torch::Tensor& images, int resolution, int channels);

}  // namespace draggan
