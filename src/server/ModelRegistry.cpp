#include "server/ModelRegistry.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/provenance/Sha256.h"

namespace draggan::server {
namespace fs = std::filesystem;

ModelRegistry::ModelRegistry(const std::vector<std::string>& paths, torch::Device device) : device_(device) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> found;
      for (const auto& item : fs::directory_iterator(path, ec)) {
        const std::string ext = item.path().extension().string();
        if (item.is_regular_file() && (ext == ".pkl" || ext == ".safetensors")) found.push_back(item.path().string());
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) throw InputError(path + ": no .pkl or .safetensors models in this folder");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else {
      throw InputError(path + ": no such model file or folder");
    }
  }
  if (files.empty()) throw InputError("no model to serve");
  std::set<std::string> taken;
  for (const auto& file : files) {
    std::string id = fs::path(file).stem().string();
    for (int n = 2; taken.count(id); ++n) id = fs::path(file).stem().string() + "-" + std::to_string(n);
    taken.insert(id);
    auto e = std::make_unique<Entry>();
    e->id = id;
    e->path = file;
    ids_.push_back(id);
    entries_.push_back(std::move(e));
  }
}

bool ModelRegistry::has(const std::string& id) const {
  return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
}

ModelRegistry::Entry& ModelRegistry::entry(const std::string& id) const {
  for (const auto& e : entries_)
    if (e->id == id) return *e;
  std::string known;
  for (const auto& i : ids_) known += (known.empty() ? "" : ", ") + i;
  throw InputError("unknown model \"" + id + "\" (served: " + known + ")");
}

std::string ModelRegistry::path_of(const std::string& id) const { return entry(id).path; }

std::shared_ptr<LoadedModel> ModelRegistry::get(const std::string& id) {
  Entry& e = entry(id);
  std::lock_guard<std::mutex> lock(e.load_mutex);  // one load per model, others wait for it
  if (!e.model) {
    log::info("loading model ", e.id, " from ", e.path);
    e.model = std::make_shared<LoadedModel>(load_model(e.path, device_));
    e.sha256 = file_sha256_hex(e.path);  // once: every image's provenance record names it
  }
  return e.model;
}

std::string ModelRegistry::file_sha256(const std::string& id) {
  get(id);
  Entry& e = entry(id);
  std::lock_guard<std::mutex> lock(e.load_mutex);
  return e.sha256;
}

nlohmann::json ModelRegistry::describe() {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& e : entries_) {
    nlohmann::json item = {{"id", e->id}, {"file", fs::path(e->path).filename().string()}};
    std::shared_ptr<LoadedModel> loaded;
    {
      std::unique_lock<std::mutex> lock(e->load_mutex, std::try_to_lock);
      if (lock.owns_lock()) loaded = e->model;
    }
    item["loaded"] = static_cast<bool>(loaded);
    if (loaded) {
      const ImageShape shape = loaded->generator->image_shape();
      item["family"] = loaded->generator->family();
      item["resolution"] = shape.height;
      item["height"] = shape.height;
      item["width"] = shape.width;
      item["num_ws"] = loaded->generator->latent_layout().num_ws;
      item["w_dim"] = loaded->generator->latent_layout().w_dim;
      item["format"] = loaded->format;
    }
    list.push_back(item);
  }
  return {{"models", list}, {"default", default_id()}};
}

}  // namespace draggan::server
