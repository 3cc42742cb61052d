// Image I/O: lossless PNG round trips, every stb format we promise, clean InputErrors for bad files, the
// official uint8 conversion, and fitting arbitrary photos to a generator's square input.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "draggan/core/Error.h"
#include "draggan/io/Image.h"
#include "draggan/io/ImageResize.h"
#include "draggan/io/Npy.h"

namespace draggan {
namespace image_test {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("draggan_img_" + std::to_string(getpid()) + "_" + name)).string();
}

torch::Tensor random_image(int64_t h, int64_t w, int64_t c, int seed = 0) {
  torch::manual_seed(seed);
  return torch::randint(0, 256, {h, w, c}, torch::kUInt8);
}

// Encodes with one of stb's other writers, so the decoder is exercised on formats we never write ourselves.
std::string stb_encode(const torch::Tensor& hwc, const std::string& format) {
  std::string out;
  auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  const int h = static_cast<int>(hwc.size(0)), w = static_cast<int>(hwc.size(1)), c = static_cast<int>(hwc.size(2));
  const torch::Tensor t = hwc.contiguous();
  int ok = 0;
  if (format == "bmp") ok = stbi_write_bmp_to_func(append, &out, w, h, c, t.data_ptr());
  if (format == "tga") ok = stbi_write_tga_to_func(append, &out, w, h, c, t.data_ptr());
  if (format == "jpg") ok = stbi_write_jpg_to_func(append, &out, w, h, c, t.data_ptr(), 95);
  if (format == "hdr") ok = stbi_write_hdr_to_func(append, &out, w, h, c, t.data_ptr<float>());
  EXPECT_TRUE(ok) << format;
  return out;
}

void expect_input_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "no InputError";
  } catch (const InputError& e) {
    for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
  }
}

TEST(Image, PngRoundTripIsLosslessForRgbAndGray) {
  for (int64_t c : {1, 3}) {
    const torch::Tensor img = random_image(17, 23, c, static_cast<int>(c));
    const std::string path = temp_path("rt" + std::to_string(c) + ".png");
    write_png(path, img);
    const torch::Tensor back = read_image(path);
    EXPECT_EQ(back.scalar_type(), torch::kUInt8);
    EXPECT_TRUE(torch::equal(back, img)) << "channels " << c;
    EXPECT_TRUE(torch::equal(decode_image(encode_png(img), "memory"), img));
    fs::remove(path);
  }
  // [H, W] gray and non-contiguous views are accepted.
  const torch::Tensor gray = random_image(5, 7, 1).squeeze(2);
  EXPECT_TRUE(torch::equal(decode_image(encode_png(gray), "m"), gray.unsqueeze(2)));
  const torch::Tensor view = random_image(8, 6, 3).transpose(0, 1);
  EXPECT_TRUE(torch::equal(decode_image(encode_png(view), "m"), view));
}

TEST(Image, DropsAlphaKeepingTheColourUnderneath) {
  torch::Tensor rgba = random_image(4, 5, 4);
  rgba.select(2, 3).zero_();  // fully transparent: the colour must survive, as PIL's convert('RGB') keeps it
  const torch::Tensor rgb = decode_image(encode_png(rgba), "rgba.png");
  EXPECT_EQ(rgb.sizes(), torch::IntArrayRef({4, 5, 3}));
  EXPECT_TRUE(torch::equal(rgb, rgba.slice(2, 0, 3)));
  const torch::Tensor ga = random_image(3, 2, 2);
  const torch::Tensor g = decode_image(encode_png(ga), "ga.png");
  EXPECT_EQ(g.sizes(), torch::IntArrayRef({3, 2, 1}));
  EXPECT_TRUE(torch::equal(g, ga.slice(2, 0, 1)));
}

TEST(Image, ReadsOtherFormatsStbSupports) {
  const torch::Tensor img = random_image(9, 11, 3, 7);
  EXPECT_TRUE(torch::equal(decode_image(stb_encode(img, "bmp"), "x.bmp"), img));
  EXPECT_TRUE(torch::equal(decode_image(stb_encode(img, "tga"), "x.tga"), img));
  // JPEG is lossy: a smooth gradient must come back close.
  const torch::Tensor smooth =
      (torch::arange(32).view({1, 32, 1}) * 4 + torch::arange(32).view({32, 1, 1}) * 3).expand({32, 32, 3}).to(torch::kUInt8);
  const torch::Tensor jpg = decode_image(stb_encode(smooth, "jpg"), "x.jpg");
  ASSERT_EQ(jpg.sizes(), smooth.sizes());
  EXPECT_LT((jpg.to(torch::kInt32) - smooth.to(torch::kInt32)).abs().max().item<int>(), 12);
  // HDR: tone-mapped to 8 bits and clamped (4.0 is above white).
  const torch::Tensor radiance = torch::tensor({0.0f, 0.0f, 0.0f, 4.0f, 4.0f, 4.0f}).view({1, 2, 3});
  const torch::Tensor hdr = decode_image(stb_encode(radiance, "hdr"), "x.hdr");
  EXPECT_TRUE(torch::equal(hdr, torch::tensor({0, 0, 0, 255, 255, 255}, torch::kUInt8).view({1, 2, 3})));
  // A 3x2 GIF written by PIL (first frame, palette expanded to RGB).
  const std::string gif(
      "\x47\x49\x46\x38\x37\x61\x03\x00\x02\x00\x82\x00\x00\xff\xff\xff\x00\xff\x00\x0a\x14\x1e\xff\x00\x00\x00"
      "\x00\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x03\x00\x02\x00\x00\x08\x09\x00\x07\x04"
      "\x20\x00\xa0\x80\x80\x80\x00\x3b",
      60);
  EXPECT_TRUE(torch::equal(decode_image(gif, "x.gif"),
                           torch::tensor({255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 10, 20, 30},
                                         torch::kUInt8)
                               .view({2, 3, 3})));
  // A 16-bit gray PNG (PIL mode I;16) with values 0 and 65535 reduces to 8 bits.
  const std::string png16(
      "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x01\x10\x00"
      "\x00\x00\x00\x81\xd9\xfc\x15\x00\x00\x00\x0d\x49\x44\x41\x54\x78\x9c\x63\x60\x60\xf8\xff\x1f\x00\x03\x02"
      "\x01\xff\xe6\x77\x0b\xae\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82",
      70);
  EXPECT_TRUE(torch::equal(decode_image(png16, "x16.png"), torch::tensor({0, 255}, torch::kUInt8).view({1, 2, 1})));
}

TEST(Image, CorruptOrMissingFilesThrowInputErrorNamingThem) {
  expect_input_error([] { decode_image("", "empty.png"); }, {"empty.png", "empty"});
  expect_input_error([] { decode_image("definitely not an image", "junk.png"); }, {"junk.png", "not a readable image"});
  const std::string png = encode_png(random_image(16, 16, 3));
  expect_input_error([&] { decode_image(png.substr(0, png.size() / 2), "half.png"); }, {"half.png"});
  expect_input_error([] { read_image("/nonexistent/photo.jpg"); }, {"/nonexistent/photo.jpg"});
  expect_input_error([] { read_image(fs::temp_directory_path().string()); }, {"no such image file"});
  // Random corruption of a valid PNG: an error or an image, never a crash.
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i) {
    std::string bytes = png;
    for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    try {
      const torch::Tensor t = decode_image(bytes, "fuzz.png");
      EXPECT_EQ(t.dim(), 3);
    } catch (const InputError&) {
    }
  }
}

TEST(Image, RefusesHugeOrEmptyDimensionsBeforeDecoding) {
  std::string png = encode_png(random_image(2, 2, 3));
  // IHDR width and height (big-endian) live at bytes 16..23; stb does not verify the CRC.
  auto set_size = [&](uint32_t w, uint32_t h) {
    std::string b = png;
    for (int i = 0; i < 4; ++i) {
      b[16 + i] = static_cast<char>(w >> (24 - 8 * i));
      b[20 + i] = static_cast<char>(h >> (24 - 8 * i));
    }
    return b;
  };
  expect_input_error([&] { decode_image(set_size(20000, 10), "wide.png"); }, {"wide.png", "20000x10", "limit"});
  expect_input_error([&] { decode_image(set_size(16384, 16385), "tall.png"); }, {"tall.png"});
  expect_input_error([&] { decode_image(set_size(0, 5), "zero.png"); }, {"zero.png"});
  expect_input_error([] { encode_png(torch::zeros({0, 4, 3}, torch::kUInt8)); }, {"zero size"});
  expect_input_error([] { encode_png(torch::zeros({4, 4, 3}, torch::kFloat32)); }, {"uint8"});
  expect_input_error([] { encode_png(torch::zeros({4, 4, 5}, torch::kUInt8)); }, {"1 to 4 channels"});
  expect_input_error([] { write_png("/nonexistent/out.png", torch::zeros({2, 2, 3}, torch::kUInt8)); },
                     {"/nonexistent/out.png"});
}

TEST(Image, OfficialUint8ConversionMatchesRendererExactly) {
  for (int seed = 0; seed < 3; ++seed) {
    const std::string base = std::string(DRAGGAN_TEST_DATA) + "/seed" + std::to_string(seed) + "_img_psi07";
    const torch::Tensor img = read_npy(base + ".npy");
    const torch::Tensor expected = read_npy(base + "_uint8.npy");
    const torch::Tensor got = image_to_uint8(img);
    ASSERT_EQ(got.sizes(), expected.sizes());
    EXPECT_EQ(got.scalar_type(), torch::kUInt8);
    EXPECT_EQ((got.to(torch::kInt32) - expected.to(torch::kInt32)).abs().max().item<int>(), 0) << "seed " << seed;
  }
  // +128 and truncation, not +127.5 and rounding: -1 -> 0.5 -> 0, 0 -> 128, 1 -> 255.5 -> 255,
  // 0.5 -> 191.75 -> 191; out of range clamps; NaN becomes 0 rather than an undefined cast.
  const torch::Tensor x = torch::tensor({-1.0f, 0.0f, 1.0f, 0.5f, -3.0f, 7.0f, NAN}).view({1, 1, 1, 7});
  EXPECT_TRUE(torch::equal(image_to_uint8(x).flatten(),
                           torch::tensor({0, 128, 255, 191, 0, 255, 0}, torch::kUInt8)));
  // Only item 0 of the batch, as [H, W, C].
  const torch::Tensor batch = torch::stack({torch::zeros({3, 2, 4}), torch::ones({3, 2, 4})});
  EXPECT_EQ(image_to_uint8(batch).sizes(), torch::IntArrayRef({2, 4, 3}));
  EXPECT_EQ(image_to_uint8(batch).max().item<int>(), 128);
}

TEST(FitImage, GivesSquareNchwInUnitRangeForOddSizes) {
  for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {3, 1000}, {1000, 3}, {64, 64}, {65, 33}}) {
    for (FitMode mode : {FitMode::CenterCrop, FitMode::Pad}) {
      for (int64_t c_in : {1, 2, 3, 4}) {
        for (int c_out : {1, 3}) {
          const torch::Tensor out = fit_image(random_image(h, w, c_in), 64, 64, c_out, mode);
          ASSERT_EQ(out.sizes(), torch::IntArrayRef({1, c_out, 64, 64})) << h << "x" << w;
          EXPECT_EQ(out.scalar_type(), torch::kFloat32);
          EXPECT_GE(out.min().item<float>(), -1.0f);
          EXPECT_LE(out.max().item<float>(), 1.0f);
        }
      }
    }
  }
}

TEST(FitImage, CropTakesTheCentreAndPadAddsBlackBars) {
  // 2x6 image: columns 0-1 value 0, 2-3 value 255, 4-5 value 0. The centred 2x2 crop is all white.
  torch::Tensor img = torch::zeros({2, 6, 3}, torch::kUInt8);
  img.slice(1, 2, 4).fill_(255);
  const torch::Tensor crop = fit_image(img, 8, 8, 3, FitMode::CenterCrop);
  EXPECT_TRUE(torch::allclose(crop, torch::ones_like(crop)));
  // Padding a 2x6 white image to 6x6 (then 12x12): rows 4..7 are image, the rest black (-1).
  const torch::Tensor pad = fit_image(torch::full({2, 6, 1}, 255, torch::kUInt8), 12, 12, 1, FitMode::Pad);
  EXPECT_TRUE(torch::allclose(pad.slice(2, 4, 8), torch::ones({1, 1, 4, 12})));
  EXPECT_TRUE(torch::equal(pad.slice(2, 0, 4), -torch::ones({1, 1, 4, 12})));
  EXPECT_TRUE(torch::equal(pad.slice(2, 8, 12), -torch::ones({1, 1, 4, 12})));
}

TEST(FitImage, FitsNonSquareFramesByCropOrPad) {
  // A 4x4 photo into a 2:1 (height 8, width 4) frame: the crop keeps the centre 4x2 columns, the pad keeps all of it
  // between black bars above and below.
  torch::Tensor img = torch::zeros({4, 4, 1}, torch::kUInt8);
  img.slice(1, 1, 3).fill_(255);
  const torch::Tensor crop = fit_image(img, 8, 4, 1, FitMode::CenterCrop);
  ASSERT_EQ(crop.sizes(), torch::IntArrayRef({1, 1, 8, 4}));
  EXPECT_TRUE(torch::allclose(crop, torch::ones_like(crop)));
  const torch::Tensor pad = fit_image(torch::full({4, 4, 1}, 255, torch::kUInt8), 8, 4, 1, FitMode::Pad);
  ASSERT_EQ(pad.sizes(), torch::IntArrayRef({1, 1, 8, 4}));
  EXPECT_TRUE(torch::allclose(pad.slice(2, 2, 6), torch::ones({1, 1, 4, 4})));
  EXPECT_TRUE(torch::equal(pad.slice(2, 0, 2), -torch::ones({1, 1, 2, 4})));
  EXPECT_TRUE(torch::equal(pad.slice(2, 6, 8), -torch::ones({1, 1, 2, 4})));
}

TEST(FitImage, ConvertsChannelsWithLumaWeightsAndAntialiases) {
  // Pure red -> 0.299 * 255 in gray.
  torch::Tensor red = torch::zeros({4, 4, 3}, torch::kUInt8);
  red.select(2, 0).fill_(255);
  const torch::Tensor gray = fit_image(red, 4, 4, 1, FitMode::CenterCrop);
  EXPECT_NEAR(gray.mean().item<float>(), 0.299f * 255 / 127.5f - 1, 1e-5);
  // Gray -> RGB repeats the channel.
  const torch::Tensor rgb = fit_image(torch::full({4, 4, 1}, 51, torch::kUInt8), 4, 4, 3, FitMode::CenterCrop);
  EXPECT_TRUE(torch::allclose(rgb, torch::full({1, 3, 4, 4}, 51 / 127.5f - 1)));
  // A 1-px checkerboard shrunk 8x averages to mid-gray instead of aliasing to black or white.
  const torch::Tensor checker =
      ((torch::arange(64).view({64, 1}) + torch::arange(64).view({1, 64})) % 2 * 255).to(torch::kUInt8).unsqueeze(2);
  const torch::Tensor small = fit_image(checker, 8, 8, 1, FitMode::CenterCrop);
  EXPECT_LT((small - (127.5f / 127.5f - 1)).abs().max().item<float>(), 0.05f);
}

TEST(FitImage, RejectsBadArguments) {
  const torch::Tensor img = random_image(4, 4, 3);
  expect_input_error([&] { fit_image(img, 0, 0, 3, FitMode::Pad); }, {"frame"});
  expect_input_error([&] { fit_image(img, 64, 64, 2, FitMode::Pad); }, {"channels"});
  expect_input_error([&] { fit_image(img.to(torch::kFloat32), 64, 64, 3, FitMode::Pad); }, {"uint8"});
  expect_input_error([&] { fit_image(torch::zeros({0, 5, 3}, torch::kUInt8), 64, 64, 3, FitMode::Pad); }, {"zero"});
  EXPECT_EQ(parse_fit_mode("pad"), FitMode::Pad);
  EXPECT_EQ(parse_fit_mode("crop"), FitMode::CenterCrop);
  EXPECT_THROW(parse_fit_mode("stretch"), InputError);
}

}  // namespace image_test
}  // namespace draggan
