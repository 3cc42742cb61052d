// The official fixtures of one model family, tests/data/formats/<family>/ (see tests/data/README.md): the
// checkpoint, manifest.json (every array with its file, shape and dtype; the drag cases and hyperparameters)
// and the .npy arrays. Shared by the per-family parity tests.
#pragma once
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "draggan/io/Npy.h"

namespace draggan::test {

class FormatFixture {
 public:
  explicit FormatFixture(const std::string& family)
      : dir_(std::string(DRAGGAN_TEST_DATA) + "/formats/" + family) {
    std::ifstream in(dir_ + "/manifest.json");
    if (!in) throw std::runtime_error(dir_ + "/manifest.json: cannot open");
    manifest_ = nlohmann::json::parse(in);
  }

  const nlohmann::json& manifest() const { return manifest_; }
  const std::string& dir() const { return dir_; }
  // The generator checkpoint the arrays were made from.
  std::string checkpoint() const {
    return dir_ + "/" + manifest_.at("generator").at("pkl").get<std::string>();
  }

  // The array the manifest lists under `name`, checked against the manifest's shape.
  torch::Tensor array(const std::string& name) const {
    const nlohmann::json& entry = manifest_.at("arrays").at(name);
    torch::Tensor t = read_npy(dir_ + "/" + entry.at("file").get<std::string>());
    const auto shape = entry.at("shape").get<std::vector<int64_t>>();
    if (t.sizes() != torch::IntArrayRef(shape))
      throw std::runtime_error(name + ": shape differs from the manifest");
    return t;
  }

  // A drag case of manifest["cases"] by name; the shared hyperparameters are drag_hyperparameters().
  const nlohmann::json& drag_case(const std::string& name) const {
    for (const nlohmann::json& c : manifest_.at("cases"))
      if (c.at("name") == name) return c;
    throw std::runtime_error("no drag case '" + name + "' in " + dir_ + "/manifest.json");
  }
  const nlohmann::json& drag_hyperparameters() const { return manifest_.at("drag_hyperparameters"); }

 private:
  std::string dir_;
  nlohmann::json manifest_;
};

}  // namespace draggan::test
