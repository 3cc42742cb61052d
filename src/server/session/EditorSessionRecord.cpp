// EditorSession and the session store: the whole session as a small document plus content-addressed blobs
// (SessionRecord.h), back again on any replica, and a running drag or upload carried on there.
//
// Document "draggan-stored-session" version 1:
//   {format, version, model: {id, sha256}, generator: blob | null (a tuned copy after an upload), seed, psi,
//    latent_space, params, ws: blob, image: blob (PNG), image_version, points, next_point_id, mask: blob | null,
//    undo/redo: [{ws, image, points, seed, psi, generator}], last_drag, upload, drag_serial,
//    running: null | {task: "drag", serial, point_ids} | {task: "upload", photo: blob, options}}
// A drag's state after each step is not in it: it is the store's "drag" value (DragCheckpoint.h). The frames of
// the last drag's animation stay in memory only.
#include <algorithm>
#include <utility>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/io/Image.h"
#include "draggan/io/Safetensors.h"
#include "server/session/DragCheckpoint.h"
#include "server/session/EditorSession.h"
#include "server/session/SessionInput.h"
#include "server/session/TunedModel.h"
#include "server/store/StoreError.h"

namespace draggan::server {
namespace {

constexpr char kRecordFormat[] = "draggan-stored-session";
constexpr int kRecordVersion = 1;

}  // namespace

SessionRecord EditorSession::record() {
  std::lock_guard<std::mutex> lock(mutex_);
  SessionRecord out;
  auto& blobs = out.new_blobs;
  const auto ref = [&](std::string hash) {
    out.blob_refs.push_back(hash);
    return hash;
  };
  const std::shared_ptr<LoadedModel> served = models_->get(model_id_);
  const auto generator_ref = [&](const std::shared_ptr<LoadedModel>& m) -> nlohmann::json {
    if (!m || m == served) return nullptr;
    return ref(memo_.generator(m, blobs));
  };
  const auto snapshots = [&](const std::vector<Snapshot>& stack) {
    nlohmann::json list = nlohmann::json::array();
    for (const Snapshot& s : stack)
      list.push_back({{"ws", ref(memo_.tensor(s.ws, blobs))},
                      {"image", ref(memo_.png(s.image, s.image_png, blobs))},
                      {"points", points_to_json(s.points)},
                      {"seed", s.seed},
                      {"psi", s.psi},
                      {"generator", generator_ref(s.model)}});
    return list;
  };
  nlohmann::json running = nullptr;
  const bool active = running_ || abandoned_;
  if (active && std::string(running_task_) == "drag") {
    running = {{"task", "drag"},
               {"serial", drag_serial_},
               {"point_ids", drag_point_ids_},
               {"provenance", provenance_to_json(drag_record_)}};
  } else if (active && upload_photo_.defined()) {
    running = {{"task", "upload"},
               {"photo", ref(memo_.tensor(upload_photo_, blobs))},
               {"options", upload_options_},
               {"photo_sha256", upload_photo_sha256_}};
  }
  nlohmann::json params = params_to_json(params_, *model_->generator);
  params.erase("resolved");
  const nlohmann::json doc = {{"format", kRecordFormat},
                              {"version", kRecordVersion},
                              {"model", {{"id", model_id_}, {"sha256", models_->sha256(model_id_)}}},
                              {"generator", generator_ref(model_)},
                              {"seed", seed_},
                              {"psi", psi_},
                              {"latent_space", latent_space_ == LatentSpace::W ? "w" : "w+"},
                              {"params", params},
                              {"ws", ref(memo_.tensor(ws_, blobs))},
                              {"image", ref(memo_.png(image_, image_png_, blobs))},
                              {"image_version", image_version_},
                              {"points", points_to_json(points_)},
                              {"next_point_id", next_point_id_},
                              {"mask", mask_.defined() ? nlohmann::json(ref(memo_.tensor(mask_, blobs))) : nlohmann::json()},
                              {"undo", snapshots(undo_)},
                              {"redo", snapshots(redo_)},
                              {"last_drag", progress_},
                              {"upload", upload_},
                              {"drag_serial", drag_serial_},
                              {"running", running}};
  memo_.sweep();
  out.doc = doc.dump();
  out.running = !running.is_null();
  std::sort(out.blob_refs.begin(), out.blob_refs.end());
  out.blob_refs.erase(std::unique(out.blob_refs.begin(), out.blob_refs.end()), out.blob_refs.end());
  return out;
}

std::shared_ptr<EditorSession> EditorSession::from_record(std::string id, std::shared_ptr<ModelRegistry> models,
                                                          const std::string& doc, const BlobFetcher& fetch,
                                                          bool ai_mark) {
  std::shared_ptr<EditorSession> session(
      new EditorSession(std::move(id), std::move(models), RestoreTag{}, ai_mark));
  session->read_record(doc, fetch);
  return session;
}

void EditorSession::read_record(const std::string& text, const BlobFetcher& fetch) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string what = "stored session " + id_;
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + ": unreadable document (" + e.what() + ")");
  }
  if (doc.value("format", "") != kRecordFormat || doc.value("version", 0) != kRecordVersion)
    throw Error(what + ": not a session document this server reads (format/version)");

  // The model by content: replicas share a models folder, but may name its files differently.
  const std::string model_hash = doc.at("model").at("sha256").get<std::string>();
  std::string model_id = doc.at("model").at("id").get<std::string>();
  if (!models_->has(model_id) || models_->sha256(model_id) != model_hash) model_id = models_->find_sha256(model_hash);
  if (model_id.empty())
    throw SessionElsewhere("model_missing", "",
                           "session " + id_ + " uses model \"" + doc["model"]["id"].get<std::string>() + "\" (sha256 " +
                               model_hash.substr(0, 16) + "...), which this replica does not serve; every replica "
                               "must serve the same --models folder");

  // Every blob the document names, in one round trip.
  std::vector<std::string> hashes;
  const auto want = [&](const nlohmann::json& h) {
    if (h.is_string()) hashes.push_back(h.get<std::string>());
  };
  for (const char* key : {"generator", "ws", "image", "mask"}) want(doc.value(key, nlohmann::json()));
  for (const char* stack : {"undo", "redo"})
    for (const auto& s : doc.at(stack)) {
      want(s.at("ws"));
      want(s.at("image"));
      want(s.at("generator"));
    }
  const nlohmann::json running = doc.value("running", nlohmann::json());
  if (running.is_object() && running.value("task", "") == "upload") want(running.at("photo"));
  std::sort(hashes.begin(), hashes.end());
  hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  const std::map<std::string, std::string> blobs = fetch(hashes);
  const auto blob = [&](const std::string& hash) -> const std::string& {
    auto it = blobs.find(hash);
    if (it == blobs.end()) throw Error(what + ": part " + hash.substr(0, 16) + " is missing from the store");
    return it->second;
  };
  const torch::Device device = models_->device();
  const auto tensor = [&](const nlohmann::json& h) {
    torch::Tensor t = decode_tensor_blob(blob(h.get<std::string>()), h.get<std::string>());
    memo_.remember(t, h.get<std::string>());
    return t;
  };
  const auto image = [&](const nlohmann::json& h, std::string& png) {
    png = blob(h.get<std::string>());
    torch::Tensor t = decode_image(png, what + " image");
    memo_.remember_png(t, h.get<std::string>());
    return t;
  };
  const std::shared_ptr<LoadedModel> served = models_->get(model_id);
  std::map<std::string, std::shared_ptr<LoadedModel>> tuned;
  const auto generator = [&](const nlohmann::json& h) {
    if (!h.is_string()) return served;
    const std::string hash = h.get<std::string>();
    auto it = tuned.find(hash);
    if (it != tuned.end()) return it->second;
    auto model = with_tuned_weights(*served, parse_safetensors(blob(hash), what + " generator").tensors, what);
    memo_.remember(model, hash);
    return tuned[hash] = model;
  };
  const auto snapshots = [&](const nlohmann::json& list) {
    std::vector<Snapshot> stack;
    for (const auto& s : list) {
      Snapshot snap;
      snap.ws = tensor(s.at("ws")).to(device);
      snap.image = image(s.at("image"), snap.image_png);
      snap.points = points_from_json(s.at("points"));
      snap.seed = s.at("seed").get<uint32_t>();
      snap.psi = s.at("psi").get<double>();
      snap.model = generator(s.at("generator"));
      stack.push_back(std::move(snap));
    }
    return stack;
  };

  model_id_ = model_id;
  model_ = generator(doc.at("generator"));
  height_ = model_->generator->image_shape().height;
  width_ = model_->generator->image_shape().width;
  seed_ = doc.at("seed").get<uint32_t>();
  psi_ = doc.at("psi").get<double>();
  latent_space_ = parse_space(doc.at("latent_space"));
  apply_params_json(doc.at("params"), *model_->generator, params_);
  ws_ = tensor(doc.at("ws")).to(device);
  image_ = image(doc.at("image"), image_png_);
  image_version_ = doc.at("image_version").get<int64_t>();
  points_ = points_from_json(doc.at("points"));
  next_point_id_ = doc.at("next_point_id").get<int>();
  if (doc.at("mask").is_string()) mask_ = tensor(doc["mask"]).to(torch::kBool);
  undo_ = snapshots(doc.at("undo"));
  redo_ = snapshots(doc.at("redo"));
  progress_ = doc.at("last_drag");
  upload_ = doc.at("upload");
  drag_serial_ = doc.at("drag_serial").get<int64_t>();
  resume_ = running;
  if (running.is_object() && running.value("task", "") == "upload") {
    upload_photo_ = tensor(running.at("photo"));
    upload_options_ = running.value("options", nlohmann::json::object());
    upload_photo_sha256_ = running.value("photo_sha256", "");
  }
  touch();
  update_bytes_locked();
}

void EditorSession::resume(const std::string& drag_checkpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!resume_.is_object() || closed_ || running_) return;
  const nlohmann::json running = std::exchange(resume_, nullptr);
  if (running.value("task", "") == "upload") {
    log::info("session ", id_, ": the upload that was running elsewhere starts again here");
    start_upload_locked(upload_photo_, upload_options_);
    return;
  }
  const int64_t serial = running.at("serial").get<int64_t>();
  const std::vector<int> point_ids = running.at("point_ids").get<std::vector<int>>();
  std::vector<DragPair> pairs;
  for (int id : point_ids)
    for (const auto& p : points_)
      if (p.id == id && p.target) pairs.push_back({p.handle, *p.target});
  if (pairs.size() != point_ids.size() || pairs.empty()) {
    log::warn("session ", id_, ": the drag that was running cannot be carried on (its points changed)");
    return;
  }
  auto drag = std::make_shared<DragSession>(model_->generator, ws_, params_.drag, latent_space_);
  drag->set_pairs(pairs);
  if (mask_.defined()) drag->set_mask(mask_.logical_not().to(torch::kFloat32));
  int first_call = 0;
  if (!drag_checkpoint.empty()) {
    try {
      const DragCheckpoint checkpoint = decode_drag_checkpoint(drag_checkpoint);
      if (checkpoint.serial == serial) {
        drag->restore(checkpoint.state);
        first_call = checkpoint.calls;
      }
    } catch (const std::exception& e) {
      log::warn("session ", id_, ": the running drag's last state is unusable (", e.what(), "): it starts over");
      drag = std::make_shared<DragSession>(model_->generator, ws_, params_.drag, latent_space_);
      drag->set_pairs(pairs);
      if (mask_.defined()) drag->set_mask(mask_.logical_not().to(torch::kFloat32));
    }
  }
  // The images it makes name the drag as they did on the replica that started it.
  if (running.contains("provenance")) {
    drag_record_ = provenance_from_json(running["provenance"], "session record: running drag");
  } else {
    drag_record_ = current_record_locked();
    DragEdit edit;
    for (const auto& pair : pairs) edit.points.push_back({pair.handle.x, pair.handle.y, pair.target.x, pair.target.y});
    edit.masked = mask_.defined();
    drag_record_.drags.push_back(std::move(edit));
  }
  log::info("session ", id_, ": carrying on its drag from step ", drag->steps_taken());
  drag_serial_ = serial;
  start_drag_locked(drag, params_, point_ids, first_call);
}

void EditorSession::forget_stored_parts() {
  std::lock_guard<std::mutex> lock(mutex_);
  memo_ = BlobMemo();
}

void EditorSession::hand_over() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    handing_over_ = true;
    stop_requested_ = true;
    idle_.wait(lock, [this] { return !running_.load(); });
  }
  close();
}

}  // namespace draggan::server
