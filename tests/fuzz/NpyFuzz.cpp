// NumPy .npy: magic, version, header dict, dtype, shape against the data.
#include "FuzzInput.h"
#include "draggan/io/Npy.h"

int draggan::fuzz::fuzz_npy(const uint8_t* data, size_t size) {
  draggan::fuzz::expect_clean([&] { draggan::parse_npy(draggan::fuzz::as_string(data, size), "fuzz.npy"); });
  return 0;
}
