// Bounded decoding: an image's size comes from its header and is checked against a budget before anything is
// decoded; a PNG whose pixel data inflates beyond its declared size is refused while inflating; the GIF
// encoder takes gray frames and writes to memory.
#include <gtest/gtest.h>
#include <zlib.h>

#include "draggan/core/Error.h"
#include "draggan/io/GifWriter.h"
#include "draggan/io/Image.h"
#include "draggan/io/ImageDecodeGuard.h"
#include "draggan/io/ImageResize.h"

namespace draggan {
namespace image_limits_test {

std::string chunk(const std::string& type, const std::string& data) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((data.size() >> shift) & 0xff);
  out += type + data;
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>((type + data).data()), static_cast<uInt>(type.size() + data.size()));
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((crc >> shift) & 0xff);
  return out;
}

// A width x height 8-bit gray PNG whose IDAT holds `raw` (filter bytes included), compressed.
std::string gray_png(uint32_t width, uint32_t height, const std::string& raw) {
  std::string ihdr;
  for (uint32_t v : {width, height})
    for (int shift = 24; shift >= 0; shift -= 8) ihdr += static_cast<char>((v >> shift) & 0xff);
  ihdr += std::string("\x08\x00\x00\x00\x00", 5);
  uLongf size = compressBound(raw.size());
  std::string packed(size, '\0');
  compress2(reinterpret_cast<Bytef*>(packed.data()), &size, reinterpret_cast<const Bytef*>(raw.data()), raw.size(), 9);
  packed.resize(size);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", packed) + chunk("IEND", "");
}

template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ImageLimits, ReadsTheSizeFromTheHeaderAndRefusesAboveTheBudget) {
  const std::string png = encode_png(torch::zeros({3, 5, 3}, torch::kUInt8));
  const ImageInfo info = image_info(png, "x.png");
  EXPECT_EQ(info.width, 5);
  EXPECT_EQ(info.height, 3);
  EXPECT_EQ(info.channels, 3);
  EXPECT_EQ(decode_image(png, "x.png", {5, 15}).sizes(), (std::vector<int64_t>{3, 5, 3}));
  EXPECT_NE(input_error([&] { decode_image(png, "x.png", {5, 14}); }).find("5x3, larger than the limit"), std::string::npos);
  EXPECT_NE(input_error([&] { decode_image(png, "x.png", {4, 100}); }).find("x.png"), std::string::npos);
  EXPECT_NE(input_error([&] { image_info("nope", "junk.bin"); }).find("junk.bin: not a readable image"), std::string::npos);
}

TEST(ImageLimits, APngWhosePixelDataInflatesPastItsSizeIsRefused) {
  // 4x2 gray: two rows of (filter byte + 4 pixels) = 10 bytes. Exactly that decodes.
  const std::string rows = std::string("\0\x10\x20\x30\x40\0\x50\x60\x70\x80", 10);
  EXPECT_EQ(decode_image(gray_png(4, 2, rows), "ok.png").sizes(), (std::vector<int64_t>{2, 4, 1}));
  // The same header over 64 MB of zeros: refused while inflating, before stb grows a buffer for it.
  const std::string bomb = gray_png(4, 2, std::string(64u << 20, '\0'));
  EXPECT_LT(bomb.size(), 200000u);
  EXPECT_NE(input_error([&] { decode_image(bomb, "bomb.png"); }).find("bomb.png: PNG pixel data inflates"),
            std::string::npos);
}

// A width x height one-component progressive JPEG repeating an empty DC scan `scans` times (issue 31).
std::string scan_flood_jpeg(int width, int height, int scans) {
  std::string j("\xff\xd8", 2);
  j += std::string("\xff\xdb\x00\x43\x00", 5) + std::string(64, '\x01');
  j += std::string("\xff\xc2\x00\x0b\x08", 5) + static_cast<char>(height >> 8) + static_cast<char>(height & 255) +
       static_cast<char>(width >> 8) + static_cast<char>(width & 255) + std::string("\x01\x01\x11\x00", 4);
  j += std::string("\xff\xc4\x00\x14\x00\x01", 6) + std::string(16, '\0');
  for (int i = 0; i < scans; ++i) j += std::string("\xff\xda\x00\x08\x01\x01\x00\x00\x00\x00", 10);
  return j + std::string("\xff\xd9", 2);
}

// The refusal check_decode_work gives `bytes` as a width x height image ("" when it passes).
std::string check_work_error(const std::string& bytes, int64_t width, int64_t height) {
  try {
    check_decode_work(bytes, width, height, kMaxImagePixels, "x.jpg");
    return "";
  } catch (const InputError& e) {
    return e.what();
  }
}

TEST(ImageLimits, BoundsTheWorkOfADecodeBeforeDecoding) {
  // Few scans decode; too many are refused from the markers, in no time.
  EXPECT_EQ(decode_image(scan_flood_jpeg(64, 48, 8), "few.jpg").sizes(), (std::vector<int64_t>{48, 64, 1}));
  EXPECT_NE(input_error([] { decode_image(scan_flood_jpeg(4096, 4096, 3000), "flood.jpg"); })
                .find("flood.jpg: JPEG has more than 32 scans"),
            std::string::npos);
  // A JPEG without its end marker is truncated.
  std::string cut = scan_flood_jpeg(64, 48, 8);
  cut.resize(cut.size() - 2);
  EXPECT_NE(input_error([&] { decode_image(cut, "cut.jpg"); }).find("truncated"), std::string::npos);
  // 151 bytes cannot hold 4096 x 4096 pixels (stb would decode 200 MB of zeros).
  const std::string hdr = std::string("#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 4096 +X 4096\n") + std::string(100, '\x02');
  EXPECT_NE(input_error([&] { decode_image(hdr, "x.hdr"); }).find("cannot hold a 4096x4096 image"), std::string::npos);
}

// Scans of several components each cost a pass per component: counted over all scans, not per scan.
TEST(ImageLimits, CountsTheComponentsOfEveryScan) {
  std::string j("\xff\xd8", 2);
  for (int i = 0; i < 17; ++i)  // 17 scans of 3 components: 51 passes, under the scan cap but over 48
    j += std::string("\xff\xda\x00\x0c\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00", 14);
  j += std::string("\xff\xd9", 2);
  EXPECT_NE(check_work_error(j, 64, 48).find("48 components in its scans"), std::string::npos);
  std::string fewer("\xff\xd8", 2);
  for (int i = 0; i < 16; ++i)
    fewer += std::string("\xff\xda\x00\x0c\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00", 14);
  EXPECT_EQ(check_work_error(fewer + std::string("\xff\xd9", 2), 64, 48), "") << "48 passes are allowed";
}

// A flat width x height Radiance HDR, run-length encoded as stb reads it.
std::string flat_hdr(int width, int height) {
  std::string row{2, 2, static_cast<char>(width >> 8), static_cast<char>(width & 255)};
  for (int channel = 0; channel < 4; ++channel)
    for (int left = width; left > 0; left -= 127) {
      row += static_cast<char>(128 + std::min(127, left));
      row += static_cast<char>(channel == 3 ? 128 : 100 + channel);
    }
  std::string hdr = "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y " + std::to_string(height) + " +X " +
                    std::to_string(width) + "\n";
  for (int y = 0; y < height; ++y) hdr += row;
  return hdr;
}

// stb converts every float channel of an HDR with pow(): an HDR counts kHdrPixelCost times its pixels.
TEST(ImageLimits, ChargesAnHdrFourTimesItsPixels) {
  const ImageBudget budget{4096, int64_t{1} << 20};  // 1 Mpx: HDRs up to 256 kpx
  EXPECT_EQ(decode_image(flat_hdr(512, 512), "ok.hdr", budget).sizes(), (std::vector<int64_t>{512, 512, 3}));
  EXPECT_NE(input_error([&] { decode_image(flat_hdr(600, 600), "big.hdr", budget); })
                .find("big.hdr: a Radiance HDR image may have at most 262144 pixels"),
            std::string::npos);
  EXPECT_EQ(decode_image(flat_hdr(600, 600), "big.hdr").size(0), 600) << "within the default budget";
}

TEST(ImageLimits, RefusesAFileThatEndsBeforeItsPixels) {
  std::string bmp(54, '\0');
  const auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) bmp[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  bmp[0] = 'B';
  bmp[1] = 'M';
  put32(2, 54 + 64 * 64 * 3);
  put32(10, 54);
  put32(14, 40);
  put32(18, 64);
  put32(22, 64);
  bmp[26] = 1;
  bmp[28] = 24;
  const std::string whole = bmp + std::string(64 * 64 * 3, '\x40');
  EXPECT_EQ(decode_image(whole, "whole.bmp").sizes(), (std::vector<int64_t>{64, 64, 3}));
  EXPECT_NE(input_error([&] { decode_image(whole.substr(0, whole.size() / 2), "half.bmp"); }).find("half.bmp: the file is truncated"),
            std::string::npos);
}

TEST(ImageLimits, ADecodeStopsWhenItsCallerGivesUp) {
  const std::string png = encode_png(torch::randint(0, 256, {512, 512, 3}, torch::kUInt8));  // > 64 reads
  EXPECT_NE(input_error([&] { decode_image(png, "left.png", kDefaultImageBudget, [] { return true; }); })
                .find("left.png: decoding abandoned"),
            std::string::npos);
  EXPECT_EQ(decode_image(png, "stays.png", kDefaultImageBudget, [] { return false; }).size(0), 512);
}

TEST(ImageLimits, GifWriterTakesGrayFramesAndWritesToMemory) {
  std::string bytes;
  GifWriter gif(&bytes, 4, 3, 50);
  gif.add_frame(torch::full({3, 4, 1}, 200, torch::kUInt8));  // a one-channel model's image
  gif.add_frame(torch::zeros({3, 4}, torch::kUInt8));
  gif.add_frame(torch::zeros({3, 4, 3}, torch::kUInt8));
  gif.close();
  EXPECT_EQ(gif.frames(), 3);
  ASSERT_GT(bytes.size(), 13u);
  EXPECT_EQ(bytes.substr(0, 6), "GIF89a");
  EXPECT_EQ(static_cast<unsigned char>(bytes[6]), 4);  // width, little-endian
  EXPECT_EQ(bytes.back(), ';');                        // trailer
  GifWriter wrong(&bytes, 4, 3);
  EXPECT_NE(input_error([&] { wrong.add_frame(torch::zeros({3, 4, 2}, torch::kUInt8)); }).find("GIF:"), std::string::npos);
}

TEST(ImageLimits, FittingALargePhotoBandByBandGivesTheNumbersOfOneResize) {
  namespace F = torch::nn::functional;
  torch::manual_seed(3);
  const torch::Tensor photo = torch::randint(0, 256, {1500, 2200, 3}, torch::kUInt8);  // banded: > 4 M floats
  const auto one_resize = [&](const torch::Tensor& part, int channels, int64_t h, int64_t w) {
    torch::Tensor x = part.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32);
    if (channels == 1) x = (x * torch::tensor({0.299f, 0.587f, 0.114f}).view({1, 3, 1, 1})).sum(1, true);
    return F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear)
                                 .align_corners(false).antialias(true));
  };
  for (int channels : {1, 3}) {
    // Square frame: the centred 1500 x 1500 crop.
    torch::Tensor x = one_resize(photo.slice(1, 350, 350 + 1500), channels, 32, 32);
    EXPECT_TRUE(torch::equal(fit_image(photo, 32, 32, channels, FitMode::CenterCrop),
                             (x.clamp(0, 255) / 127.5 - 1.0).expand({1, channels, 32, 32})))
        << channels;
    // A 2:1 portrait frame (StyleGAN-Human's shape): a 1500 x 750 crop.
    x = one_resize(photo.slice(1, 725, 725 + 750), channels, 64, 32);
    EXPECT_TRUE(torch::equal(fit_image(photo, 64, 32, channels, FitMode::CenterCrop),
                             (x.clamp(0, 255) / 127.5 - 1.0).expand({1, channels, 64, 32})))
        << channels;
    // Padded into the portrait frame: 22 x 32 (width fills it), black bars above and below.
    x = F::pad(one_resize(photo, channels, 22, 32), F::PadFuncOptions({0, 0, 21, 21}).value(0.0));
    EXPECT_TRUE(torch::equal(fit_image(photo, 64, 32, channels, FitMode::Pad),
                             (x.clamp(0, 255) / 127.5 - 1.0).expand({1, channels, 64, 32})))
        << channels;
  }
}

}  // namespace image_limits_test
}  // namespace draggan
