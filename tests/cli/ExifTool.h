// The independent metadata reader of the provenance tests: Debian's exiftool (libimage-exiftool-perl, installed by
// scripts/setup.sh), asked for every tag of a file as JSON. Values are compared as text.
#pragma once
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace draggan::cli_test {

// {tag: value} of `path` (exiftool -j), or an empty object after a test failure when exiftool is missing or fails.
inline nlohmann::json exiftool(const std::string& path) {
  FILE* pipe = popen(("exiftool -j -struct '" + path + "' 2>&1").c_str(), "r");
  if (!pipe) {
    ADD_FAILURE() << "cannot run exiftool";
    return nlohmann::json::object();
  }
  std::string out;
  std::array<char, 4096> buf;
  while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  const nlohmann::json list = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (status != 0 || !list.is_array() || list.empty()) {
    ADD_FAILURE() << "exiftool " << path << " failed (apt-get install libimage-exiftool-perl): " << out;
    return nlohmann::json::object();
  }
  return list[0];
}

// A tag's value as text ("" when absent): exiftool turns numeric-looking values into JSON numbers.
inline std::string tag(const nlohmann::json& tags, const std::string& name) {
  if (!tags.contains(name)) return "";
  const nlohmann::json& v = tags[name];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

inline const std::string kGeneratedSource = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
inline const std::string kEditedPhotoSource =
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia";

}  // namespace draggan::cli_test
