// PNG encoding speed: stb_image_write (the project's writer before io/PngWriter) against libpng at zlib level 6
// (its default) and level 3 (what io/PngWriter uses), on one RGB image: median CPU time of 15 encodes, and the
// file size. No LibTorch: builds in a second.
//
//   g++ -O2 -o /tmp/png_encode_speed bench/png_encode_speed.cpp -lpng -lstb
//   /tmp/png_encode_speed IMAGE.png      # any image stb reads; encoded as RGB
//
// Results in bench/README.md ("PNG encoding").
#include <png.h>
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

namespace {

void append(png_structp png, png_bytep data, png_size_t size) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), size);
}

std::string encode_libpng(const unsigned char* pixels, int width, int height, int level) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) std::abort();
  png_set_write_fn(png, &out, append, nullptr);
  png_set_compression_level(png, level);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) png_write_row(png, const_cast<png_bytep>(pixels) + size_t(y) * width * 3);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string encode_stb(const unsigned char* pixels, int width, int height) {
  std::string out;
  stbi_write_png_to_func([](void* to, void* data, int size) { static_cast<std::string*>(to)->append(static_cast<char*>(data), size); },
                         &out, width, height, 3, pixels, width * 3);
  return out;
}

// Median CPU milliseconds of `runs` calls and the size of what one call returned.
template <typename Encode>
std::pair<double, size_t> measure(Encode encode, int runs = 15) {
  std::vector<double> ms;
  size_t size = 0;
  for (int k = 0; k < runs; ++k) {
    const std::clock_t start = std::clock();
    size = encode().size();
    ms.push_back(1000.0 * double(std::clock() - start) / CLOCKS_PER_SEC);
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], size};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s IMAGE\n", argv[0]);
    return 2;
  }
  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load(argv[1], &width, &height, &channels, 3);
  if (!pixels) {
    std::fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 1;
  }
  const auto stb = measure([&] { return encode_stb(pixels, width, height); });
  const auto level6 = measure([&] { return encode_libpng(pixels, width, height, 6); });
  const auto level3 = measure([&] { return encode_libpng(pixels, width, height, 3); });
  std::printf("%s %dx%d RGB: stb_image_write %.1f ms %zu B | libpng level 6 %.1f ms %zu B | libpng level 3 %.1f ms %zu B "
              "(%.2fx stb's speed)\n",
              argv[1], width, height, stb.first, stb.second, level6.first, level6.second, level3.first, level3.second,
              stb.first / level3.first);
  stbi_image_free(pixels);
  return 0;
}
