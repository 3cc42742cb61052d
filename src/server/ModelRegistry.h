// The models a server offers: one file (--model) or every checkpoint in a folder (--models). Each is loaded
// on first use and then shared read-only by every session (a drag optimises the latent, never the weights).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "draggan/io/ModelFile.h"

namespace draggan::server {

class ModelRegistry {
 public:
  // Paths are files; a folder given as a path contributes its *.pkl and *.safetensors files.
  ModelRegistry(const std::vector<std::string>& paths, torch::Device device);

  // Ids are file names without extension, made unique; the first is the default.
  const std::vector<std::string>& ids() const { return ids_; }
  const std::string& default_id() const { return ids_.front(); }
  bool has(const std::string& id) const;
  std::string path_of(const std::string& id) const;

  // Loads on first use (thread-safe); throws InputError for an unknown id, CheckpointError for a bad file.
  std::shared_ptr<LoadedModel> get(const std::string& id);
  // SHA-256 of the model's file, computed once when it is loaded (for the provenance record of its images).
  std::string file_sha256(const std::string& id);

  // {"models": [{"id", "file", "loaded", "resolution"...}], "default": id}
  nlohmann::json describe();
  torch::Device device() const { return device_; }

 private:
  struct Entry {
    std::string id;
    std::string path;
    std::shared_ptr<LoadedModel> model;
    std::string sha256;
    std::mutex load_mutex;
  };
  Entry& entry(const std::string& id) const;

  std::vector<std::string> ids_;
  std::vector<std::unique_ptr<Entry>> entries_;
  torch::Device device_;
  mutable std::mutex mutex_;
};

}  // namespace draggan::server
