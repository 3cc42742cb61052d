// IDX image files (Fashion-MNIST), plain or gzip'd.
#include "FuzzInput.h"
#include "draggan/train/IdxFile.h"

int draggan::fuzz::fuzz_idx(const uint8_t* data, size_t size) {
  draggan::fuzz::InputFile file(data, size);
  draggan::fuzz::expect_clean([&] {
    if (draggan::looks_like_idx(file.path())) draggan::read_idx_images(file.path());
  });
  return 0;
}
