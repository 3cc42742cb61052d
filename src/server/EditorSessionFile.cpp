// EditorSession save/load: a self-contained JSON document, so a drag can be continued later, on another
// machine, or from a script. Format "draggan-session" version 1:
//   {format, version, model: {id, file, family, resolution (= height), height, width, num_ws, w_dim, z_dim}, seed,
//    psi, latent_space, params,
//    latent: {dtype: "float32", shape: [1, num_ws, w_dim], data: base64}, points: [{handle, target}],
//    mask: {format: "rle", ...} | null, generator: {name: tensor, ...} (only after an upload)}
// The latent is the current one (after the drags so far), so loading shows the same image. After an upload the
// session drags a pivotal-tuned copy of the model, so its weights are saved too (the size of the model).

#include <cmath>
#include <filesystem>

#include "draggan/core/Error.h"
#include "draggan/core/StateDict.h"
#include "server/EditorSession.h"
#include "server/MaskCodec.h"
#include "server/TensorCodec.h"

namespace draggan::server {
namespace {

constexpr char kFormat[] = "draggan-session";
constexpr int kVersion = 1;

nlohmann::json model_identity(const std::string& id, const std::string& path, const GeneratorModel& generator) {
  const ImageShape shape = generator.image_shape();
  const LatentLayout latent = generator.latent_layout();
  return {{"id", id},
          {"file", std::filesystem::path(path).filename().string()},
          {"family", generator.family()},
          {"resolution", shape.height},
          {"height", shape.height},
          {"width", shape.width},
          {"num_ws", latent.num_ws},
          {"w_dim", latent.w_dim},
          {"z_dim", latent.z_dim}};
}

// Files from before non-square models have only "resolution" (height = width).
bool same_shape(const nlohmann::json& saved, const GeneratorModel& generator) {
  if (!saved.is_object()) return false;
  const ImageShape shape = generator.image_shape();
  const LatentLayout latent = generator.latent_layout();
  const int height = saved.value("height", saved.value("resolution", -1));
  const int width = saved.value("width", saved.value("resolution", -1));
  return height == shape.height && width == shape.width && saved.value("num_ws", -1) == latent.num_ws &&
         saved.value("w_dim", -1) == latent.w_dim;
}

}  // namespace

nlohmann::json EditorSession::save() {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : points_)
    points.push_back({{"handle", {p.handle.x, p.handle.y}},
                      {"target", p.target ? nlohmann::json::array({p.target->x, p.target->y}) : nlohmann::json(nullptr)}});
  nlohmann::json params = params_to_json(params_, *model_->generator);
  params.erase("resolved");
  nlohmann::json tuned_weights = nullptr;
  if (model_ != models_->get(model_id_)) {
    tuned_weights = nlohmann::json::object();
    for (const auto& [name, tensor] : state_dict_of(model_->generator->module()))
      tuned_weights[name] = encode_float_tensor(tensor.detach().cpu());
  }
  nlohmann::json doc = {{"format", kFormat},
          {"version", kVersion},
          {"model", model_identity(model_id_, models_->path_of(model_id_), *model_->generator)},
          {"seed", seed_},
          {"psi", psi_},
          {"latent_space", latent_space_ == LatentSpace::W ? "w" : "w+"},
          {"params", params},
          {"latent", encode_float_tensor(ws_)},
          {"points", points},
          {"mask", mask_.defined() ? encode_mask_rle(mask_) : nlohmann::json(nullptr)}};
  if (!tuned_weights.is_null()) doc["generator"] = std::move(tuned_weights);
  return doc;
}

void EditorSession::load(const nlohmann::json& doc) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("load a session");
  if (doc.value("format", std::string()) != kFormat)
    throw InputError(std::string("session file: \"format\" must be \"") + kFormat + "\" (a file saved by the editor)");
  if (doc.value("version", 0) != kVersion)
    throw InputError("session file: unsupported version " + doc.value("version", nlohmann::json(nullptr)).dump());

  // The model: the one it names when this server has it, else the current one if the latent fits it.
  const nlohmann::json saved_model = doc.value("model", nlohmann::json::object());
  std::string model_id = model_id_;
  if (saved_model.contains("id") && saved_model["id"].is_string() && models_->has(saved_model["id"].get<std::string>()))
    model_id = saved_model["id"].get<std::string>();
  const std::shared_ptr<LoadedModel> model = models_->get(model_id);
  GeneratorModel& generator = *model->generator;
  const ImageShape shape = generator.image_shape();
  const LatentLayout latent = generator.latent_layout();
  if (model_id != saved_model.value("id", std::string()) && !same_shape(saved_model, generator))
    throw InputError("session file: saved with model " + saved_model.dump() + ", which this server does not serve (" +
                     model_id + " is " + std::to_string(shape.width) + "x" + std::to_string(shape.height) + ")");

  // Parse everything before changing anything: a bad file leaves the session as it was.
  uint32_t seed = 0;
  if (doc.contains("seed")) {
    const nlohmann::json& s = doc["seed"];
    if (!s.is_number_integer() || s.get<int64_t>() < 0 || s.get<int64_t>() > 0xffffffffLL)
      throw InputError("session file: \"seed\" must be an integer in 0..4294967295");
    seed = static_cast<uint32_t>(s.get<int64_t>());
  }
  const double psi = doc.value("psi", 0.7);
  const LatentSpace space = parse_latent_space(doc.value("latent_space", std::string("w+")));
  EditorParams params;
  if (doc.contains("params")) apply_params_json(doc["params"], generator, params);
  if (!doc.contains("latent")) throw InputError("session file: \"latent\" is missing");
  torch::Tensor ws = decode_float_tensor(doc["latent"], "session file: latent");
  if (ws.dim() != 3 || ws.size(0) != 1 || ws.size(1) != latent.num_ws || ws.size(2) != latent.w_dim)
    throw InputError("session file: latent has shape " + c10::str(ws.sizes()) + ", this model needs [1, " +
                     std::to_string(latent.num_ws) + ", " + std::to_string(latent.w_dim) + "]");
  std::vector<EditorPoint> points;
  const nlohmann::json saved_points = doc.value("points", nlohmann::json::array());
  if (!saved_points.is_array()) throw InputError("session file: \"points\" must be an array");
  for (const auto& p : saved_points) {
    if (!p.is_object() || !p.contains("handle")) throw InputError("session file: each point needs a \"handle\"");
    EditorPoint point;
    point.handle = parse_point(p["handle"], "session file: handle", shape.height, shape.width);
    point.handle = {std::round(point.handle.x), std::round(point.handle.y)};
    if (p.contains("target") && !p["target"].is_null())
      point.target = parse_point(p["target"], "session file: target", shape.height, shape.width);
    points.push_back(point);
  }
  torch::Tensor mask;
  if (doc.contains("mask") && !doc["mask"].is_null()) mask = decode_mask(doc["mask"], shape.height, shape.width);
  std::shared_ptr<LoadedModel> tuned;
  if (doc.contains("generator") && !doc["generator"].is_null()) {
    if (!doc["generator"].is_object()) throw InputError("session file: \"generator\" must be an object of tensors");
    StateDict weights;
    for (const auto& [name, value] : doc["generator"].items())
      weights[name] = decode_float_tensor(value, "session file: generator." + name);
    tuned = std::make_shared<LoadedModel>(*model);
    tuned->generator = generator.clone();
    load_state_dict(tuned->generator->module(), weights, "session file: generator");
  }

  if (model_id != model_id_) {
    seed_ = seed;
    psi_ = psi;
    switch_model_locked(model_id);  // a new model starts a new history
  } else {
    push_undo_locked();
  }
  if (tuned) model_ = tuned;
  seed_ = seed;
  psi_ = psi;
  latent_space_ = space;
  params_ = params;
  set_latent_locked(ws.to(models_->device()));
  points_.clear();
  for (auto& p : points) {
    p.id = next_point_id_++;
    points_.push_back(p);
  }
  mask_ = mask;
  publish_state_locked();
}

}  // namespace draggan::server
