// Every image the command line writes says how it was made, to an independent reader (exiftool): the IPTC
// digital source type in XMP, the edit record in PNG text chunks (GIF: comment), and `draggan info IMAGE` prints
// it back. --ai-mark adds the visible mark. All on the shipped 32-px model, a few steps each.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "CliCommand.h"
#include "ExifTool.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/provenance/GeneratedMark.h"

namespace cli_provenance_test {

using draggan::cli_test::exiftool;
using draggan::cli_test::kEditedPhotoSource;
using draggan::cli_test::kGeneratedSource;
using draggan::cli_test::run;
using draggan::cli_test::tag;
using Json = nlohmann::json;

const std::string kModel = std::string(DRAGGAN_SOURCE_DIR) + "/models/default.safetensors";

std::string temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_provenance_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

// SHA-256 by coreutils, not by our code.
std::string sha256sum(const std::string& path) {
  FILE* pipe = popen(("sha256sum '" + path + "'").c_str(), "r");
  std::array<char, 65> digest{};
  const size_t n = pipe ? fread(digest.data(), 1, 64, pipe) : 0;
  if (pipe) pclose(pipe);
  return std::string(digest.data(), n);
}

std::string draggan(const std::string& args) {
  const auto r = run(args + " --threads 1");
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
  return r.output;
}

TEST(CliProvenance, GenerateWritesTheModelSeedAndSourceTypeAndMarksOnRequest) {
  const std::string dir = temp_dir();
  draggan("generate --model " + kModel + " --seed 3 --psi 0.7 --out " + dir + "/plain.png");
  Json tags = exiftool(dir + "/plain.png");
  EXPECT_EQ(tag(tags, "DigitalSourceType"), kGeneratedSource);
  EXPECT_EQ(tag(tags, "Software"), "draggan 0.1.0");
  EXPECT_EQ(tag(tags, "DragganModel"), "default.safetensors");
  EXPECT_EQ(tag(tags, "DragganModelSha256"), sha256sum(kModel));
  EXPECT_EQ(tag(tags, "DragganSeed"), "3");
  EXPECT_EQ(tag(tags, "DragganPsi"), "0.7");
  EXPECT_EQ(tag(tags, "ImageWidth"), "32");

  const std::string info = draggan("info " + dir + "/plain.png");
  EXPECT_TRUE(std::regex_search(info, std::regex(R"(draggan seed +3\n)"))) << info;
  EXPECT_NE(info.find(kGeneratedSource), std::string::npos) << info;

  // --ai-mark: enlarged to 256 px (nearest neighbour), the letters in the bottom-right corner only.
  draggan("generate --model " + kModel + " --seed 3 --psi 0.7 --ai-mark --out " + dir + "/marked.png");
  const torch::Tensor plain = draggan::read_image(dir + "/plain.png");
  const torch::Tensor marked = draggan::read_image(dir + "/marked.png");
  ASSERT_EQ(marked.sizes(), (std::vector<int64_t>{256, 256, 1}));
  EXPECT_TRUE(torch::equal(marked, draggan::mark_as_generated(plain)));
  const torch::Tensor changed = (marked != draggan::enlarge_nearest(plain, 8)).any(2);
  EXPECT_GT(changed.sum().item<int64_t>(), 100) << "the letters (their dark outline is invisible on black)";
  EXPECT_GE(changed.any(1).nonzero().min().item<int64_t>(), 256 - 40);
  EXPECT_EQ(tag(exiftool(dir + "/marked.png"), "DragganSeed"), "3");
}

TEST(CliProvenance, DragRecordsPointsAndStepsInTheImageAndTheAnimation) {
  const std::string dir = temp_dir();
  draggan("drag --model " + kModel + " --seed 0 --handle 16,12 --target 16,9 --steps 4 --out " + dir +
          "/drag.png --video " + dir + "/drag.gif --trajectory " + dir + "/drag.json --ai-mark");
  const Json tags = exiftool(dir + "/drag.png");
  EXPECT_EQ(tag(tags, "DigitalSourceType"), kGeneratedSource);
  EXPECT_EQ(tag(tags, "DragganSeed"), "0");
  const Json drags = Json::parse(tag(tags, "DragganDrags"));
  ASSERT_EQ(drags.size(), 1u) << drags;
  EXPECT_EQ(drags[0]["points"], Json::parse("[[16, 12, 16, 9]]"));
  EXPECT_GE(drags[0]["steps"].get<int>(), 1);
  EXPECT_LE(drags[0]["steps"].get<int>(), 4);
  EXPECT_FALSE(drags[0]["mask"].get<bool>());
  EXPECT_EQ(tag(tags, "ImageWidth"), "256") << "--ai-mark enlarges the 32-px image";

  // The animation: XMP in its application extension, the record in its comment, exiftool reads both.
  const Json gif = exiftool(dir + "/drag.gif");
  EXPECT_EQ(tag(gif, "DigitalSourceType"), kGeneratedSource);
  EXPECT_NE(tag(gif, "Comment").find("draggan drags: " + drags.dump()), std::string::npos) << gif;
  EXPECT_EQ(tag(gif, "ImageWidth"), "256");
  const std::string info = draggan("info " + dir + "/drag.gif");
  EXPECT_NE(info.find("(GIF, 256x256)"), std::string::npos) << info;
  EXPECT_NE(info.find("draggan drags"), std::string::npos) << info;
}

TEST(CliProvenance, ProjectMarksAnEditedPhotoAndItsTunedModelKeepsSaying) {
  const std::string dir = temp_dir();
  draggan("generate --model " + kModel + " --seed 5 --out " + dir + "/photo.png");
  draggan("project --model " + kModel + " --image " + dir + "/photo.png --steps 4 --pti-steps 2 --out " + dir +
          "/projected.png --out-target " + dir + "/target.png --out-latent " + dir + "/w.npy --out-model " + dir +
          "/tuned.safetensors");
  const std::string photo_hash = sha256sum(dir + "/photo.png");
  const Json projected = exiftool(dir + "/projected.png");
  EXPECT_EQ(tag(projected, "DigitalSourceType"), kEditedPhotoSource);
  EXPECT_EQ(tag(projected, "DragganPhotoSha256"), photo_hash);
  EXPECT_EQ(tag(projected, "DragganModel"), "default.safetensors");
  const Json target = exiftool(dir + "/target.png");
  EXPECT_EQ(tag(target, "DigitalSourceType"), "") << "the photo itself is not claimed to be generated";
  EXPECT_NE(tag(target, "Description").find("cropped and resized"), std::string::npos) << target;

  // Dragging the projected photo with its tuned generator: still an edited photo, named by the same hash.
  draggan("drag --model " + dir + "/tuned.safetensors --latent " + dir + "/w.npy --handle 16,12 --target 16,10 "
          "--steps 2 --out " + dir + "/edited.png");
  const Json edited = exiftool(dir + "/edited.png");
  EXPECT_EQ(tag(edited, "DigitalSourceType"), kEditedPhotoSource);
  EXPECT_EQ(tag(edited, "DragganPhotoSha256"), photo_hash);
  EXPECT_EQ(tag(edited, "DragganLatentSha256"), sha256sum(dir + "/w.npy"));
  EXPECT_EQ(Json::parse(tag(edited, "DragganDrags")).size(), 1u);
}

TEST(CliProvenance, EvalReportImagesNameTheirSeedAndDrag) {
  const std::string dir = temp_dir() + "/eval";
  draggan("eval --model " + kModel + " --drags 1 --steps 3 --classifier none --report " + dir);
  const Json before = exiftool(dir + "/drag_000_before.png"), after = exiftool(dir + "/drag_000_after.png");
  EXPECT_EQ(tag(before, "DigitalSourceType"), kGeneratedSource);
  EXPECT_NE(tag(before, "DragganSeed"), "");
  EXPECT_EQ(tag(before, "DragganDrags"), "");
  EXPECT_EQ(tag(after, "DragganSeed"), tag(before, "DragganSeed"));
  EXPECT_EQ(Json::parse(tag(after, "DragganDrags")).size(), 1u);
  EXPECT_EQ(tag(exiftool(dir + "/drag_000_sheet.png"), "DigitalSourceType"), kGeneratedSource);
}

}  // namespace cli_provenance_test
