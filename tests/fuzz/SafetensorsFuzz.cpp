// safetensors: header length, JSON header, dtypes, shapes and offsets against the data.
#include "FuzzInput.h"
#include "draggan/io/Safetensors.h"

int draggan::fuzz::fuzz_safetensors(const uint8_t* data, size_t size) {
  draggan::fuzz::expect_clean([&] { draggan::parse_safetensors(draggan::fuzz::as_string(data, size), "fuzz.safetensors"); });
  return 0;
}
