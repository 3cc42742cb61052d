// Client images (stb: PNG, JPEG, GIF, BMP, TGA, PSD, PNM, HDR) under a small budget, as the server decodes
// uploads: the header check, the PNG inflate guard, then the decode.
#include "FuzzInput.h"
#include "draggan/io/Image.h"

int draggan::fuzz::fuzz_image(const uint8_t* data, size_t size) {
  const std::string bytes = draggan::fuzz::as_string(data, size);
  draggan::fuzz::expect_clean([&] { draggan::image_info(bytes, "fuzz image"); });
  draggan::fuzz::expect_clean([&] { draggan::decode_image(bytes, "fuzz image", {1024, 1 << 20}); });
  return 0;
}
