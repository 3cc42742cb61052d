// NVIDIA PyTorch training snapshots: the persistence-object walker, init kwargs to a generator config, G_ema
// and D tensors.
#include "FuzzInput.h"
#include "draggan/io/NvidiaPickle.h"

int draggan::fuzz::fuzz_nvidia_snapshot(const uint8_t* data, size_t size) {
  draggan::fuzz::InputFile file(data, size);
  draggan::fuzz::expect_clean([&] { draggan::read_nvidia_pkl(file.path()); });
  return 0;
}
