// Every image file says how it was made: the visible "AI Generated" mark, and the provenance record written into
// PNG, APNG and GIF files and read back (the independent reader, exiftool, is in tests/cli/CliProvenanceTest).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "draggan/core/Error.h"
#include "draggan/io/GifWriter.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/io/ImageRecordReader.h"
#include "draggan/provenance/GeneratedMark.h"
#include "draggan/provenance/ImageProvenance.h"
#include "draggan/provenance/Sha256.h"

namespace draggan {
namespace provenance_test {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("draggan_prov_" + std::to_string(getpid()) + "_" + name)).string();
}

ImageProvenance dragged_record() {
  ImageProvenance p = ImageProvenance::for_model("/models/ffhq.pkl", std::string(64, 'a'));
  p.seed = 7;
  p.psi = 0.7;
  p.drags.push_back({{{120, 140, 160, 140.5}, {10, 20, 30, 40}}, 57, true});
  p.drags.push_back({{{1, 2, 3, 4}}, 3, false});
  return p;
}

void expect_same(const ImageProvenance& a, const ImageProvenance& b) {
  EXPECT_EQ(provenance_to_json(a), provenance_to_json(b));
}

TEST(GeneratedMark, SmallImagesAreEnlargedByAWholeFactorFirst) {
  EXPECT_EQ(generated_mark_enlargement(32, 32), 8);
  EXPECT_EQ(generated_mark_enlargement(64, 32), 8);  // StyleGAN-Human's 2:1
  EXPECT_EQ(generated_mark_enlargement(64, 64), 4);
  EXPECT_EQ(generated_mark_enlargement(256, 256), 1);
  EXPECT_EQ(generated_mark_enlargement(1024, 512), 1);
  EXPECT_EQ(generated_mark_enlargement(16, 1024), 2);  // too short for the letters
  const torch::Tensor image = torch::randint(0, 256, {32, 32, 3}, torch::kUInt8);
  EXPECT_EQ(mark_as_generated(image).sizes(), (std::vector<int64_t>{256, 256, 3}));
}

TEST(GeneratedMark, StampsOnlyTheBottomRightCornerOfTheEnlargedImage) {
  for (int64_t channels : {1, 3, 4}) {
    const torch::Tensor image = torch::full({64, 64, channels}, 90, torch::kUInt8);
    const torch::Tensor marked = mark_as_generated(image);
    const torch::Tensor changed = (marked != enlarge_nearest(image, 4)).any(2);
    ASSERT_GT(changed.sum().item<int64_t>(), 200) << channels << " channels: the letters are there";
    const torch::Tensor rows = changed.any(1).nonzero(), cols = changed.any(0).nonzero();
    EXPECT_GT(rows.min().item<int64_t>(), 256 - 40) << "only the bottom rows";
    EXPECT_GT(cols.min().item<int64_t>(), 256 / 2) << "only the right half";
    // White letters (255 * 0.8 over 90) over a darker outline: both directions appear.
    EXPECT_GT(marked.max().item<int>(), 200);
    EXPECT_LT(marked.slice(2, 0, std::min<int64_t>(channels, 3)).min().item<int>(), 90);
  }
  const torch::Tensor gray2d = torch::zeros({300, 400}, torch::kUInt8);
  EXPECT_EQ(mark_as_generated(gray2d).sizes(), gray2d.sizes()) << "[H, W] stays [H, W]; large images keep their size";
}

TEST(ImageProvenance, TextFieldsAndXmpReadBackToTheSameRecord) {
  ImageProvenance photo = dragged_record();
  photo.origin = ImageOrigin::EditedPhoto;
  photo.seed.reset();
  photo.psi.reset();
  photo.photo_sha256 = sha256_hex("a photo");
  ImageProvenance other = ImageProvenance::for_model("m.safetensors", "ff");
  other.origin = ImageOrigin::Other;
  other.description = "A mask, drawn by a test";
  for (const ImageProvenance& p : {dragged_record(), photo, other}) {
    const auto fields = provenance_text_fields(p);
    expect_same(provenance_from_text_fields(fields, xmp_packet(p)), p);
    expect_same(provenance_from_json(provenance_to_json(p), "test"), p);
  }
  EXPECT_EQ(digital_source_type_in_xmp(xmp_packet(dragged_record())),
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia");
  EXPECT_EQ(digital_source_type_in_xmp(xmp_packet(photo)),
            "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia");
  EXPECT_EQ(digital_source_type_in_xmp(xmp_packet(other)), "");
  EXPECT_EQ(dragged_record().model, "ffhq.pkl") << "the file's name, not the user's folders";
  EXPECT_THROW(provenance_from_text_fields({{"draggan seed", "twelve"}}, ""), InputError);
  EXPECT_THROW(provenance_from_json({{"drags", {{{"points", {{1, 2}}}}}}}, "doc"), InputError);
}

TEST(ImageProvenance, PngApngAndGifFilesCarryTheRecord) {
  const ImageProvenance record = dragged_record();
  const torch::Tensor image = (torch::randint(0, 5, {24, 40, 3}) * 60).to(torch::kUInt8);  // 125 colours

  const std::string png = encode_png(image, &record);
  EXPECT_TRUE(torch::equal(decode_image(png, "png"), image)) << "the pixels are untouched";
  ImageRecord file = read_png_record(png, "png");
  EXPECT_EQ(file.format, "PNG");
  EXPECT_EQ(std::make_pair(file.width, file.height), std::make_pair(40, 24));
  expect_same(provenance_from_text_fields(file.text, file.xmp), record);
  EXPECT_EQ(read_png_record(encode_png(image), "plain").text.size(), 0u) << "no record unless asked";

  const std::string apng =
      encode_animated_png({image, torch::zeros_like(image), image}, 60, 1200, &record);
  EXPECT_TRUE(torch::equal(decode_image(apng, "apng"), image)) << "plain readers show the first frame";
  file = read_png_record(apng, "apng");
  EXPECT_EQ(file.format, "APNG");
  expect_same(provenance_from_text_fields(file.text, file.xmp), record);

  const std::string gif_path = temp_path("anim.gif");
  {
    GifWriter gif(gif_path, 40, 24, 100);
    gif.add_frame(image);
    gif.add_frame(torch::zeros_like(image));
    gif.set_provenance(record);
    gif.close();
  }
  file = read_image_record(gif_path);
  EXPECT_EQ(file.format, "GIF");
  EXPECT_EQ(digital_source_type_in_xmp(file.xmp), digital_source_type(ImageOrigin::Generated));
  EXPECT_EQ(file.xmp, xmp_packet(record)) << "the XMP packet comes back byte for byte";
  expect_same(provenance_from_text_fields(file.text, file.xmp), record);
  // giflib's quantiser works on 5 bits per primary: within 8 levels.
  EXPECT_LE((read_image(gif_path).to(torch::kInt32) - image.to(torch::kInt32)).abs().max().item<int>(), 8)
      << "stb still reads the first frame";
  std::filesystem::remove(gif_path);
}

TEST(ImageProvenance, ReaderRefusesWhatIsNotAnImageWithOneLine) {
  const std::string path = temp_path("not.png");
  write_file(path, "\x89PNG\r\n\x1a\n but then nothing sensible");
  EXPECT_THROW(read_image_record(path), InputError);
  write_file(path, "plain text");
  EXPECT_FALSE(looks_like_png_or_gif(path));
  EXPECT_THROW(read_image_record(path), InputError);
  std::filesystem::remove(path);
}

}  // namespace provenance_test
}  // namespace draggan
