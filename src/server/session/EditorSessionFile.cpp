// EditorSession save/load: a self-contained JSON document (SessionDocument.h has the format), so a drag can be
// continued later, on another machine, or from a script. The latent is the current one (after the drags so
// far), so loading shows the same image. After an upload the session drags a pivotal-tuned copy of the model,
// so its weights are saved too (the size of the model).

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "draggan/core/Error.h"
#include "draggan/core/StateDict.h"
#include "draggan/io/ModelProvenance.h"
#include "server/session/EditorSession.h"
#include "server/codec/MaskCodec.h"
#include "server/session/SessionDocument.h"
#include "server/codec/TensorCodec.h"
#include "server/session/TunedModel.h"

namespace draggan::server {
namespace {

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
  const auto field = [&](const char* key, const char* fallback = nullptr) {
    if (saved.contains(key)) return saved[key].is_number_integer() ? saved[key].get<int64_t>() : int64_t{-1};
    return fallback && saved.contains(fallback) && saved[fallback].is_number_integer() ? saved[fallback].get<int64_t>()
                                                                                       : int64_t{-1};
  };
  const ImageShape shape = generator.image_shape();
  const LatentLayout latent = generator.latent_layout();
  return field("height", "resolution") == shape.height && field("width", "resolution") == shape.width &&
         field("num_ws") == latent.num_ws && field("w_dim") == latent.w_dim;
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
  nlohmann::json doc = {{"format", kSessionFormat},
                        {"version", kSessionVersion},
                        {"model", model_identity(model_id_, models_->path_of(model_id_), *model_->generator)},
                        {"seed", seed_},
                        {"psi", psi_},
                        {"latent_space", latent_space_ == LatentSpace::W ? "w" : "w+"},
                        {"params", params},
                        {"latent", encode_float_tensor(ws_)},
                        {"points", points},
                        {"mask", mask_.defined() ? encode_mask_rle(mask_) : nlohmann::json(nullptr)},
                        {"provenance", provenance_to_json(current_record_locked())}};
  if (model_ != models_->get(model_id_)) {
    nlohmann::json weights = nlohmann::json::object();
    for (const auto& [name, tensor] : tuned_weights(*model_)) weights[name] = encode_float_tensor(tensor);
    doc["generator"] = std::move(weights);
  }
  return doc;
}

void EditorSession::load(const nlohmann::json& doc) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("load a session");

  // The model: the one it names when this server has it, else the current one if the latent fits it.
  nlohmann::json saved_model;
  const std::string saved_id = session_document_model(doc, saved_model);
  const std::string model_id = !saved_id.empty() && models_->has(saved_id) ? saved_id : model_id_;
  const std::shared_ptr<LoadedModel> model = models_->get(model_id);
  GeneratorModel& generator = *model->generator;
  const ImageShape shape = generator.image_shape();
  if (model_id != saved_id && !same_shape(saved_model, generator))
    throw InputError("session file: saved with model " + saved_model.dump().substr(0, 200) +
                     ", which this server does not serve (" + model_id + " is " + std::to_string(shape.width) + "x" +
                     std::to_string(shape.height) + ")");

  // Everything is checked before anything changes: a bad file leaves the session as it was.
  SessionDocument file = read_session_document(doc, generator);
  std::shared_ptr<LoadedModel> tuned;
  if (!file.generator.empty()) {
    // Weights the session already holds are shared, not copied again (each load is an undo entry).
    std::vector<std::shared_ptr<LoadedModel>> held = {model};
    const auto hold = [&](const std::shared_ptr<LoadedModel>& m) {
      if (m && std::find(held.begin(), held.end(), m) == held.end()) held.push_back(m);
    };
    if (model_id == model_id_) {
      hold(model_);
      for (const auto* stack : {&undo_, &redo_})
        for (const auto& snap : *stack) hold(snap.model);
    }
    for (const auto& m : held)
      if (m && m->generator->family() == generator.family() && has_weights(*m, file.generator)) {
        tuned = m;
        break;
      }
    if (!tuned) tuned = with_tuned_weights(*model, file.generator, "session file: generator");
  }

  if (model_id != model_id_) {
    seed_ = file.seed;
    psi_ = file.psi;
    switch_model_locked(model_id);  // a new model starts a new history
  } else {
    push_undo_locked();
  }
  if (tuned) model_ = tuned;
  seed_ = file.seed;
  psi_ = file.psi;
  latent_space_ = file.space;
  params_ = file.params;
  // The record the file carries (seed or photo, drags), under this server's model. A file from before records
  // says only the seed, and that tuned weights (an upload) made it an edited photo.
  const ImageProvenance model_record = image_provenance_of(*model_, models_->file_sha256(model_id_));
  ImageProvenance record = model_record;
  if (file.provenance) {
    record = *file.provenance;
    record.model = model_record.model;
    record.model_sha256 = model_record.model_sha256;
  } else {
    record.seed = seed_;
    record.psi = psi_;
    if (tuned) record.origin = ImageOrigin::EditedPhoto;
  }
  set_latent_locked(file.latent.to(models_->device()), record);
  points_.clear();
  for (auto& p : file.points) {
    p.id = next_point_id_++;
    points_.push_back(p);
  }
  mask_ = file.mask;
  publish_state_locked();
}

}  // namespace draggan::server
