// The pickle reader (never executes anything): any bytes -> a PickleValue tree or a CheckpointError.
#include "FuzzInput.h"
#include "draggan/io/PickleReader.h"

int draggan::fuzz::fuzz_pickle(const uint8_t* data, size_t size) {
  draggan::fuzz::expect_clean([&] { draggan::parse_pickle(draggan::fuzz::as_string(data, size), "fuzz.pkl"); });
  return 0;
}
