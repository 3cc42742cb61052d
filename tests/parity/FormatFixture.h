// The official fixtures of one checkpoint format or family (tests/data/formats/<name>/, made by the official
// code; tests/data/README.md describes them): arrays by name, the manifest, the checkpoint's path.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "draggan/io/Npy.h"

namespace draggan::testing {

class FormatFixture {
 public:
  explicit FormatFixture(const std::string& name) : dir_(std::string(DRAGGAN_TEST_DATA) + "/formats/" + name) {}

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& file) const { return dir_ + "/" + file; }
  // `name`.npy of the fixture directory.
  torch::Tensor array(const std::string& name) const { return read_npy(path(name + ".npy")); }
  nlohmann::json manifest() const {
    std::ifstream in(path("manifest.json"));
    return nlohmann::json::parse(in);
  }
  // The checkpoint the manifest names ("generator": {"pkl": ...}).
  std::string checkpoint() const { return path(manifest().at("generator").at("pkl").get<std::string>()); }

 private:
  std::string dir_;
};

// max |a - b| in float64; shapes must agree.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return INFINITY;
  return (a.to(torch::kFloat64).cpu() - b.to(torch::kFloat64).cpu()).abs().max().item<double>();
}

}  // namespace draggan::testing
