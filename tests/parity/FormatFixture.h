// The official fixtures of one checkpoint format or family, tests/data/formats/<name>/ (made by the official
// code; tests/data/README.md describes them): the checkpoint, manifest.json (every array with its file, shape
// and dtype; the drag cases and hyperparameters) and the .npy arrays. Shared by the per-family parity tests.
#pragma once
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "draggan/io/Npy.h"

namespace draggan::testing {

class FormatFixture {
 public:
  explicit FormatFixture(const std::string& name) : dir_(std::string(DRAGGAN_TEST_DATA) + "/formats/" + name) {
    std::ifstream in(path("manifest.json"));
    if (!in) throw std::runtime_error(path("manifest.json") + ": cannot open");
    manifest_ = nlohmann::json::parse(in);
  }

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& file) const { return dir_ + "/" + file; }
  const nlohmann::json& manifest() const { return manifest_; }
  // The generator checkpoint the arrays were made from ("generator": {"pkl": ...}).
  std::string checkpoint() const { return path(manifest_.at("generator").at("pkl").get<std::string>()); }

  // The array `name`: the manifest's file, checked against the manifest's shape, when the manifest lists it;
  // otherwise `name`.npy (arrays cut down for the repository, described in tests/data/README.md).
  torch::Tensor array(const std::string& name) const {
    const nlohmann::json& arrays = manifest_.value("arrays", nlohmann::json::object());
    if (!arrays.contains(name)) return read_npy(path(name + ".npy"));
    const nlohmann::json& entry = arrays.at(name);
    torch::Tensor t = read_npy(path(entry.at("file").get<std::string>()));
    const auto shape = entry.at("shape").get<std::vector<int64_t>>();
    if (t.sizes() != torch::IntArrayRef(shape)) throw std::runtime_error(name + ": shape differs from the manifest");
    return t;
  }

  // A drag case of manifest["cases"] by name; the shared hyperparameters are drag_hyperparameters().
  const nlohmann::json& drag_case(const std::string& name) const {
    for (const nlohmann::json& c : manifest_.at("cases"))
      if (c.at("name") == name) return c;
    throw std::runtime_error("no drag case '" + name + "' in " + path("manifest.json"));
  }
  const nlohmann::json& drag_hyperparameters() const { return manifest_.at("drag_hyperparameters"); }

 private:
  std::string dir_;
  nlohmann::json manifest_;
};

// max |a - b| in float64; shapes must agree.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  if (a.sizes() != b.sizes()) return INFINITY;
  return (a.to(torch::kFloat64).cpu() - b.to(torch::kFloat64).cpu()).abs().max().item<double>();
}

}  // namespace draggan::testing
