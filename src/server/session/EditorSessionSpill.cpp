// EditorSession to disk and back, whole: what the manager does with an idle session when memory or the
// session cap runs out, so that nothing a user did is lost and the next request finds it as it was.
// One safetensors file: tensors "ws", "image", "png" (the cached encoding, as bytes), "mask"; per undo/redo
// snapshot "undo.<i>.ws|image|png"; "frame.<i>" for the animation; "generator.<k>.<name>" for each tuned
// generator (shared by several snapshots, stored once). Metadata "session" holds the rest as JSON.
#include <algorithm>
#include <cstring>

#include "draggan/core/Error.h"
#include "draggan/io/Safetensors.h"
#include "server/session/EditorSession.h"
#include "server/http/HttpError.h"
#include "server/session/SessionInput.h"
#include "server/session/TunedModel.h"

namespace draggan::server {
namespace {

constexpr int kSpillVersion = 1;

torch::Tensor bytes_tensor(const std::string& bytes) {
  torch::Tensor t = torch::empty({static_cast<int64_t>(bytes.size())}, torch::kUInt8);
  if (!bytes.empty()) std::memcpy(t.data_ptr<uint8_t>(), bytes.data(), bytes.size());
  return t;
}

std::string tensor_bytes(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU, torch::kUInt8).contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), static_cast<size_t>(c.numel()));
}

nlohmann::json points_json(const std::vector<EditorPoint>& points) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : points)
    list.push_back({{"id", p.id},
                    {"handle", {p.handle.x, p.handle.y}},
                    {"target", p.target ? nlohmann::json::array({p.target->x, p.target->y}) : nlohmann::json(nullptr)}});
  return list;
}

std::vector<EditorPoint> points_from(const nlohmann::json& list) {
  std::vector<EditorPoint> points;
  for (const auto& p : list) {
    EditorPoint point;
    point.id = p.at("id").get<int>();
    point.handle = {p.at("handle").at(0).get<double>(), p.at("handle").at(1).get<double>()};
    if (!p.at("target").is_null()) point.target = DragPoint{p["target"].at(0).get<double>(), p["target"].at(1).get<double>()};
    points.push_back(point);
  }
  return points;
}

const torch::Tensor& tensor_at(const StateDict& tensors, const std::string& name) {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw Error("session spill file: tensor \"" + name + "\" is missing");
  return it->second;
}

}  // namespace

void EditorSession::write_spill(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("save the session to disk");
  StateDict tensors;
  // Tuned generators, each once: snapshots refer to them by index (-1 = the served model itself).
  std::vector<std::shared_ptr<LoadedModel>> tuned;
  const std::shared_ptr<LoadedModel> served = models_->get(model_id_);
  const auto generator_index = [&](const std::shared_ptr<LoadedModel>& m) -> int {
    if (m == served) return -1;
    auto it = std::find(tuned.begin(), tuned.end(), m);
    if (it != tuned.end()) return static_cast<int>(it - tuned.begin());
    tuned.push_back(m);
    const std::string prefix = "generator." + std::to_string(tuned.size() - 1) + ".";
    for (const auto& [name, t] : tuned_weights(*m)) tensors[prefix + name] = t;
    return static_cast<int>(tuned.size() - 1);
  };
  const auto put_snapshots = [&](const std::vector<Snapshot>& stack, const std::string& name) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t i = 0; i < stack.size(); ++i) {
      const Snapshot& s = stack[i];
      const std::string prefix = name + "." + std::to_string(i) + ".";
      tensors[prefix + "ws"] = s.ws.detach().cpu();
      tensors[prefix + "image"] = s.image.cpu();
      tensors[prefix + "png"] = bytes_tensor(s.image_png);
      list.push_back({{"seed", s.seed}, {"psi", s.psi}, {"points", points_json(s.points)},
                      {"generator", generator_index(s.model)}});
    }
    return list;
  };

  tensors["ws"] = ws_.detach().cpu();
  tensors["image"] = image_.cpu();
  tensors["png"] = bytes_tensor(image_png_);
  if (mask_.defined()) tensors["mask"] = mask_.cpu();
  for (size_t i = 0; i < frames_.size(); ++i) tensors["frame." + std::to_string(i)] = frames_[i].cpu();
  nlohmann::json params = params_to_json(params_, *model_->generator);
  params.erase("resolved");
  const nlohmann::json meta = {{"version", kSpillVersion},
                               {"model", model_id_},
                               {"generator", generator_index(model_)},
                               {"seed", seed_},
                               {"psi", psi_},
                               {"latent_space", latent_space_ == LatentSpace::W ? "w" : "w+"},
                               {"params", params},
                               {"points", points_json(points_)},
                               {"next_point_id", next_point_id_},
                               {"image_version", image_version_},
                               {"undo", put_snapshots(undo_, "undo")},
                               {"redo", put_snapshots(redo_, "redo")},
                               {"frames", frames_.size()},
                               {"frame_stride", frame_stride_},
                               {"frame_counter", frame_counter_},
                               {"last_drag", progress_},
                               {"upload", upload_}};
  write_safetensors(path, tensors, {{"session", meta.dump()}});
}

std::shared_ptr<EditorSession> EditorSession::restore_spill(std::string id, std::shared_ptr<ModelRegistry> models,
                                                            const std::string& path, bool ai_mark) {
  std::shared_ptr<EditorSession> session(new EditorSession(std::move(id), std::move(models), RestoreTag{}, ai_mark));
  session->read_spill(path);
  return session;
}

void EditorSession::read_spill(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  SafetensorsFile file = read_safetensors(path);
  StateDict tensors;
  for (auto& [name, t] : file.tensors) tensors[name] = t.clone();  // off the file's mapping
  const nlohmann::json meta = nlohmann::json::parse(file.metadata.at("session"));
  if (meta.at("version") != kSpillVersion) throw Error(path + ": not a session spill file of this server");

  model_id_ = meta.at("model").get<std::string>();
  const std::shared_ptr<LoadedModel> served = models_->get(model_id_);
  std::vector<std::shared_ptr<LoadedModel>> tuned;
  for (size_t k = 0;; ++k) {
    const std::string prefix = "generator." + std::to_string(k) + ".";
    StateDict weights;
    for (const auto& [name, t] : tensors)
      if (name.rfind(prefix, 0) == 0) weights[name.substr(prefix.size())] = t;
    if (weights.empty()) break;
    tuned.push_back(with_tuned_weights(*served, weights, path));
  }
  const auto model_at = [&](const nlohmann::json& index) {
    const int k = index.get<int>();
    return k < 0 ? served : tuned.at(static_cast<size_t>(k));
  };
  const torch::Device device = models_->device();
  const auto snapshots = [&](const nlohmann::json& list, const std::string& name) {
    std::vector<Snapshot> stack;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string prefix = name + "." + std::to_string(i) + ".";
      const nlohmann::json& s = list[i];
      stack.push_back({tensor_at(tensors, prefix + "ws").to(device), tensor_at(tensors, prefix + "image"),
                       tensor_bytes(tensor_at(tensors, prefix + "png")), points_from(s.at("points")),
                       s.at("seed").get<uint32_t>(), s.at("psi").get<double>(), model_at(s.at("generator"))});
    }
    return stack;
  };

  model_ = model_at(meta.at("generator"));
  height_ = model_->generator->image_shape().height;
  width_ = model_->generator->image_shape().width;
  seed_ = meta.at("seed").get<uint32_t>();
  psi_ = meta.at("psi").get<double>();
  latent_space_ = parse_space(meta.at("latent_space"));
  apply_params_json(meta.at("params"), *model_->generator, params_);
  ws_ = tensor_at(tensors, "ws").to(device);
  image_ = tensor_at(tensors, "image");
  image_png_ = tensor_bytes(tensor_at(tensors, "png"));
  image_version_ = meta.at("image_version").get<int64_t>();
  points_ = points_from(meta.at("points"));
  next_point_id_ = meta.at("next_point_id").get<int>();
  if (tensors.count("mask")) mask_ = tensors["mask"].to(torch::kBool);
  undo_ = snapshots(meta.at("undo"), "undo");
  redo_ = snapshots(meta.at("redo"), "redo");
  for (size_t i = 0; i < meta.at("frames").get<size_t>(); ++i) frames_.push_back(tensor_at(tensors, "frame." + std::to_string(i)));
  frame_stride_ = meta.at("frame_stride").get<int>();
  frame_counter_ = meta.at("frame_counter").get<int>();
  progress_ = meta.at("last_drag");
  upload_ = meta.at("upload");
  touch();
  update_bytes_locked();
}

}  // namespace draggan::server
