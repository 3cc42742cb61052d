// Training data readers: IDX (plain and gzip'd, Fashion-MNIST's format) and image folders, with clear errors.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "draggan/core/Error.h"
#include "draggan/io/Image.h"
#include "draggan/train/IdxFile.h"
#include "draggan/train/ImageDataset.h"

namespace train_dataset_test {
namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("draggan_data_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string idx_bytes(int n, int h, int w, int dims = 3) {
  std::string b{0, 0, 0x08, static_cast<char>(dims)};
  for (int v : {n, h, w}) b += std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                                           static_cast<char>(v >> 8), static_cast<char>(v)};
  for (int i = 0; i < n * h * w; ++i) b.push_back(static_cast<char>(i % 251));
  return b;
}

void write_file(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

void write_gz(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

TEST(IdxFile, ReadsPlainAndGzippedImages) {
  fs::path dir = temp_dir("idx");
  write_file(dir / "plain-idx3-ubyte", idx_bytes(5, 28, 28));
  write_gz(dir / "images-idx3-ubyte.gz", idx_bytes(5, 28, 28));
  torch::Tensor plain = draggan::read_idx_images((dir / "plain-idx3-ubyte").string());
  torch::Tensor gz = draggan::read_idx_images((dir / "images-idx3-ubyte.gz").string());
  ASSERT_EQ(plain.sizes(), (torch::IntArrayRef{5, 28, 28}));
  EXPECT_TRUE(torch::equal(plain, gz));
  EXPECT_EQ(plain[0][0][3].item<int>(), 3);
  EXPECT_TRUE(draggan::looks_like_idx((dir / "images-idx3-ubyte.gz").string()));
}

TEST(IdxFile, RejectsLabelsAndTruncatedFiles) {
  fs::path dir = temp_dir("idx_bad");
  std::string labels{0, 0, 0x08, 0x01, 0, 0, 0, 3, 1, 2, 3};
  write_file(dir / "labels", labels);
  EXPECT_THROW(draggan::read_idx_images((dir / "labels").string()), draggan::InputError);
  std::string truncated = idx_bytes(5, 28, 28);
  truncated.resize(truncated.size() - 100);
  write_file(dir / "truncated", truncated);
  try {
    draggan::read_idx_images((dir / "truncated").string());
    FAIL() << "expected an error";
  } catch (const draggan::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

TEST(ImageDataset, PadsSmallIdxImagesToTheResolution) {
  fs::path dir = temp_dir("idx_pad");
  write_gz(dir / "train-images-idx3-ubyte.gz", idx_bytes(3, 28, 28));
  draggan::ImageDataset ds = draggan::load_dataset({(dir / "train-images-idx3-ubyte.gz").string()}, 32, 1);
  ASSERT_EQ(ds.images.sizes(), (torch::IntArrayRef{3, 1, 32, 32}));
  torch::Tensor raw = draggan::read_idx_images((dir / "train-images-idx3-ubyte.gz").string());
  using torch::indexing::Slice;
  EXPECT_TRUE(torch::equal(ds.images.index({Slice(), 0, Slice(2, 30), Slice(2, 30)}), raw));
  EXPECT_EQ(ds.images.index({Slice(), 0, Slice(0, 2)}).sum().item<int64_t>(), 0);  // black border
  EXPECT_EQ(draggan::load_dataset({(dir / "train-images-idx3-ubyte.gz").string()}, 32, 3).channels(), 3);
}

TEST(ImageDataset, ReadsAFolderOfImagesInSortedOrder) {
  fs::path dir = temp_dir("folder");
  fs::create_directories(dir / "sub");
  draggan::write_png((dir / "b.png").string(), torch::full({40, 40, 3}, 200, torch::kUInt8));
  draggan::write_png((dir / "sub" / "a.png").string(), torch::full({16, 16, 1}, 50, torch::kUInt8));
  write_file(dir / "notes.txt", "not an image");
  draggan::ImageDataset ds = draggan::load_dataset({dir.string()}, 16, 1);
  ASSERT_EQ(ds.images.sizes(), (torch::IntArrayRef{2, 1, 16, 16}));
  EXPECT_EQ(ds.images[0].max().item<int>(), 200);  // b.png sorts before sub/a.png
  EXPECT_EQ(ds.images[1].max().item<int>(), 50);
}

TEST(ImageDataset, ClearErrorsForBadInput) {
  auto message = [](const std::vector<std::string>& paths) {
    try {
      draggan::load_dataset(paths, 16, 1);
    } catch (const draggan::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  fs::path empty = temp_dir("empty");
  EXPECT_NE(message({empty.string()}).find("no images found"), std::string::npos);
  fs::path broken = temp_dir("broken");
  write_file(broken / "bad.png", "this is not a png");
  EXPECT_NE(message({broken.string()}).find("bad.png"), std::string::npos);
  EXPECT_NE(message({(empty / "missing").string()}).find("no such file"), std::string::npos);
  write_file(empty / "text.bin", "hello");
  EXPECT_NE(message({(empty / "text.bin").string()}).find("IDX"), std::string::npos);
}

}  // namespace train_dataset_test
