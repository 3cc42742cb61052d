// EditorSession: settings, points, mask, undo/redo and state. The drag worker is in EditorSessionDrag.cpp,
// save/load in EditorSessionFile.cpp.
#include "server/session/EditorSession.h"

#include <algorithm>
#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/drag/DragDefaults.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/io/ImageRecordReader.h"
#include "draggan/io/ModelProvenance.h"
#include "draggan/provenance/GeneratedMark.h"
#include "server/http/HttpError.h"
#include "server/codec/MaskCodec.h"
#include "server/session/SessionInput.h"

namespace draggan::server {
namespace {

constexpr size_t kMaxUndo = 50;  // each entry holds a latent and an image: small, but not unbounded

int64_t now_ticks() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

std::string space_name(LatentSpace space) { return space == LatentSpace::W ? "w" : "w+"; }

nlohmann::json point_json(const DragPoint& p) { return nlohmann::json::array({p.x, p.y}); }

}  // namespace

std::string encode_shown_png(const torch::Tensor& image, const ImageProvenance& record, bool ai_mark) {
  return encode_png(ai_mark ? mark_as_generated(image) : image, &record);
}

EditorSession::EditorSession(std::string id, std::shared_ptr<ModelRegistry> models, const nlohmann::json& request,
                             bool ai_mark)
    : id_(std::move(id)), models_(std::move(models)), ai_mark_(ai_mark), last_used_(now_ticks()) {
  check_fields(request, {"model", "seed", "psi", "latent_space", "params"}, "session");
  std::lock_guard<std::mutex> lock(mutex_);
  if (request.contains("seed")) seed_ = parse_seed(request["seed"]);
  if (request.contains("psi")) psi_ = parse_psi(request["psi"]);
  std::string model_id = models_->default_id();
  if (request.contains("model") && !request["model"].is_null()) {
    if (!request["model"].is_string()) throw InputError("model: expected a model id (string)");
    model_id = request["model"].get<std::string>();
  }
  switch_model_locked(model_id);
  // What the request asks for wins over the model's recorded settings.
  if (request.contains("latent_space")) latent_space_ = parse_space(request["latent_space"]);
  if (request.contains("params")) apply_params_json(request["params"], *model_->generator, params_);
  update_bytes_locked();
}

EditorSession::EditorSession(std::string id, std::shared_ptr<ModelRegistry> models, RestoreTag, bool ai_mark)
    : id_(std::move(id)), models_(std::move(models)), ai_mark_(ai_mark), last_used_(now_ticks()) {}

EditorSession::~EditorSession() { close(); }

void EditorSession::touch() { last_used_ = now_ticks(); }

std::chrono::steady_clock::time_point EditorSession::last_used() const {
  return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(last_used_.load()));
}

// --- state

nlohmann::json EditorSession::state() {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_locked();
}

nlohmann::json EditorSession::state_locked() const {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : points_)
    points.push_back({{"id", p.id},
                      {"handle", point_json(p.handle)},
                      {"target", p.target ? point_json(*p.target) : nlohmann::json(nullptr)}});
  return {{"id", id_},
          {"model", model_id_},
          {"width", width_},
          {"height", height_},
          {"family", model_->generator->family()},
          {"seed", seed_},
          {"psi", psi_},
          {"latent_space", space_name(latent_space_)},
          {"params", params_to_json(params_, *model_->generator)},
          {"points", points},
          {"mask", mask_.defined() ? encode_mask_rle(mask_) : nlohmann::json(nullptr)},
          {"running", running_.load()},
          {"can_undo", !undo_.empty()},
          {"can_redo", !redo_.empty()},
          {"image_version", image_version_},
          {"last_drag", progress_},
          {"upload", upload_},
          {"has_animation", frames_.size() >= 2}};
}

void EditorSession::publish_state_locked() {
  update_bytes_locked();
  trim_history_locked();
  events_.publish("state", state_locked(), EventKind::latest);
}

void EditorSession::update_bytes_locked() {
  const auto bytes_of = [](const torch::Tensor& t) -> uint64_t { return t.defined() ? t.nbytes() : 0; };
  uint64_t total = bytes_of(ws_) + bytes_of(image_) + image_png_.size() + bytes_of(mask_);
  std::vector<const LoadedModel*> tuned;  // each tuned generator once, however many snapshots share it
  const auto count_model = [&](const std::shared_ptr<LoadedModel>& m) {
    if (!m || m == models_->get(model_id_) || std::find(tuned.begin(), tuned.end(), m.get()) != tuned.end()) return;
    tuned.push_back(m.get());
    for (const auto& p : m->generator->module().parameters()) total += bytes_of(p);
    for (const auto& b : m->generator->module().buffers()) total += bytes_of(b);
  };
  count_model(model_);
  for (const auto* stack : {&undo_, &redo_})
    for (const auto& snap : *stack) {
      total += bytes_of(snap.ws) + bytes_of(snap.image) + snap.image_png.size();
      count_model(snap.model);
    }
  for (const auto& f : frames_) total += bytes_of(f);
  bytes_ = total;
}

void EditorSession::trim_history_locked() {
  size_t dropped = 0;
  while (bytes_ > memory_cap_ && (!undo_.empty() || !redo_.empty())) {
    if (!undo_.empty()) undo_.erase(undo_.begin());
    else redo_.erase(redo_.begin());  // the furthest redo
    ++dropped;
    update_bytes_locked();
  }
  if (dropped > 0)
    log::debug("session ", id_, ": forgot ", dropped, " undo/redo step(s) to stay within ", memory_cap_ >> 20, " MB");
}

void EditorSession::check_idle_locked(const char* action) const {
  if (closed_) throw NotFoundError("session " + id_ + " is closed");
  if (running_)
    throw ConflictError(std::string("cannot ") + action + " while " + (std::string(running_task_) == "upload" ? "an upload" : "a drag") +
                        " is running (stop it first)");
}

// --- settings

void EditorSession::switch_model_locked(const std::string& model_id) {
  std::shared_ptr<LoadedModel> model = models_->get(model_id);
  EditorParams params = params_;
  // Each model starts from the drag settings it records (step size, latent space, radii, stop rule; the official
  // defaults where it records none). The noise mode and the grid choice are the user's and carry over.
  const DragSettings recommended = model_drag_settings(*model);
  params.drag = recommended.params;
  params.drag.noise = params_.drag.noise;
  params.drag.exact_pixel_grid = params_.drag.exact_pixel_grid;
  params.max_steps = recommended.max_steps.value_or(EditorParams{}.max_steps);
  // A recorded feature block this generator lacks (a hand-edited file) falls back to auto.
  try {
    resolve_drag_params(params.drag, *model->generator);
  } catch (const InputError&) {
    params.drag.feature_block = -1;
  }
  latent_space_ = recommended.space;
  model_id_ = model_id;
  model_ = model;
  params_ = params;
  height_ = model->generator->image_shape().height;
  width_ = model->generator->image_shape().width;
  points_.clear();
  mask_ = torch::Tensor();
  undo_.clear();
  redo_.clear();
  frames_.clear();
  progress_ = nullptr;
  set_latent_locked(latent_from_seed(*model_->generator, seed_, psi_), seed_record_locked());
}

void EditorSession::set_latent_locked(const torch::Tensor& ws, const ImageProvenance& record) {
  torch::NoGradGuard no_grad;
  ws_ = ws.detach().clone();
  torch::Tensor image = image_to_uint8(model_->generator->synthesize(ws_, params_.drag.noise).cpu());
  set_image_locked(image, encode_shown_png(image, record, ai_mark_));
}

ImageProvenance EditorSession::seed_record_locked() const {
  ImageProvenance record = image_provenance_of(*model_, models_->file_sha256(model_id_));
  // A generator tuned to a photo (an upload) whose photo this process no longer knows (a spilled session):
  // the current image's record still names it.
  if (record.photo_sha256.empty() && model_ != models_->get(model_id_) && !image_png_.empty()) {
    const ImageProvenance current = current_record_locked();
    record.origin = current.origin;
    record.photo_sha256 = current.photo_sha256;
  }
  record.seed = seed_;
  record.psi = psi_;
  return record;
}

ImageProvenance EditorSession::current_record_locked() const {
  const ImageRecord file = read_png_record(image_png_, "session image");
  return provenance_from_text_fields(file.text, file.xmp);
}

void EditorSession::set_image_locked(torch::Tensor image, std::string png) {
  image_ = std::move(image);
  image_png_ = std::move(png);
  ++image_version_;
}

void EditorSession::update_settings(const nlohmann::json& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("change settings");
  check_fields(request, {"model", "seed", "psi", "latent_space", "params"}, "settings");
  // Parse everything first, so a bad field changes nothing.
  const uint32_t seed = request.contains("seed") ? parse_seed(request["seed"]) : seed_;
  const double psi = request.contains("psi") ? parse_psi(request["psi"]) : psi_;
  const LatentSpace space = request.contains("latent_space") ? parse_space(request["latent_space"]) : latent_space_;
  std::string model_id = model_id_;
  if (request.contains("model")) {
    if (!request["model"].is_string()) throw InputError("model: expected a model id (string)");
    model_id = request["model"].get<std::string>();
    if (!models_->has(model_id)) models_->get(model_id);  // throws the "unknown model" error
  }
  EditorParams params = params_;
  if (request.contains("params"))
    apply_params_json(request["params"], *models_->get(model_id)->generator, params);

  latent_space_ = space;
  params_ = params;
  if (model_id != model_id_) {
    seed_ = seed;
    psi_ = psi;
    switch_model_locked(model_id);
    // The new model's recorded settings, then what this request asks for (already validated above).
    if (request.contains("latent_space")) latent_space_ = space;
    if (request.contains("params")) apply_params_json(request["params"], *model_->generator, params_);
  } else if (seed != seed_ || psi != psi_) {
    push_undo_locked();  // a new seed is a new image: undo brings the old one back
    seed_ = seed;
    psi_ = psi;
    set_latent_locked(latent_from_seed(*model_->generator, seed_, psi_), seed_record_locked());
  }
  publish_state_locked();
}

void EditorSession::reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("reset");
  push_undo_locked();
  set_latent_locked(latent_from_seed(*model_->generator, seed_, psi_), seed_record_locked());
  publish_state_locked();
}

// --- points

void EditorSession::add_point(const nlohmann::json& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("add a point");
  check_fields(request, {"handle", "target"}, "point");
  if (!request.contains("handle")) throw InputError("point: \"handle\": [x, y] is required");
  check_point_count(points_.size() + 1, "point");
  EditorPoint point;
  point.handle = parse_point(request["handle"], "handle", height_, width_);
  // Handles are whole pixels, as tracking returns them.
  point.handle = {std::round(point.handle.x), std::round(point.handle.y)};
  if (request.contains("target") && !request["target"].is_null())
    point.target = parse_point(request["target"], "target", height_, width_);
  point.id = next_point_id_++;
  points_.push_back(point);
  publish_state_locked();
}

void EditorSession::update_point(int point_id, const nlohmann::json& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("move a point");
  check_fields(request, {"handle", "target"}, "point");
  auto it = std::find_if(points_.begin(), points_.end(), [&](const EditorPoint& p) { return p.id == point_id; });
  if (it == points_.end()) throw NotFoundError("unknown point " + std::to_string(point_id));
  EditorPoint point = *it;
  if (request.contains("handle")) {
    point.handle = parse_point(request["handle"], "handle", height_, width_);
    point.handle = {std::round(point.handle.x), std::round(point.handle.y)};
  }
  if (request.contains("target"))
    point.target = request["target"].is_null()
                       ? std::nullopt
                       : std::optional<DragPoint>(parse_point(request["target"], "target", height_, width_));
  *it = point;
  publish_state_locked();
}

void EditorSession::remove_point(int point_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("remove a point");
  auto it = std::find_if(points_.begin(), points_.end(), [&](const EditorPoint& p) { return p.id == point_id; });
  if (it == points_.end()) throw NotFoundError("unknown point " + std::to_string(point_id));
  points_.erase(it);
  publish_state_locked();
}

void EditorSession::clear_points() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("remove points");
  points_.clear();
  publish_state_locked();
}

// --- mask

void EditorSession::set_mask(const torch::Tensor& movable) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("change the mask");
  if (movable.defined() && (movable.dim() != 2 || movable.size(0) != height_ || movable.size(1) != width_))
    throw InputError("mask: expected " + std::to_string(width_) + "x" + std::to_string(height_) +
                     " (width x height)");
  mask_ = movable.defined() ? movable.to(torch::kCPU, torch::kBool).contiguous() : torch::Tensor();
  publish_state_locked();
}

nlohmann::json EditorSession::mask_json() {
  std::lock_guard<std::mutex> lock(mutex_);
  return mask_.defined() ? encode_mask_rle(mask_) : nlohmann::json(nullptr);
}

// --- undo / redo

EditorSession::Snapshot EditorSession::snapshot_locked() const {
  return {ws_, image_, image_png_, points_, seed_, psi_, model_};
}

void EditorSession::restore_locked(const Snapshot& s) {
  model_ = s.model;
  ws_ = s.ws;
  set_image_locked(s.image, s.image_png);
  points_ = s.points;
  seed_ = s.seed;
  psi_ = s.psi;
}

void EditorSession::push_undo_locked() {
  undo_.push_back(snapshot_locked());
  if (undo_.size() > kMaxUndo) undo_.erase(undo_.begin());
  redo_.clear();
}

void EditorSession::undo() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("undo");
  if (undo_.empty()) throw ConflictError("nothing to undo");
  redo_.push_back(snapshot_locked());
  restore_locked(undo_.back());
  undo_.pop_back();
  publish_state_locked();
}

void EditorSession::redo() {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("redo");
  if (redo_.empty()) throw ConflictError("nothing to redo");
  undo_.push_back(snapshot_locked());
  restore_locked(redo_.back());
  redo_.pop_back();
  publish_state_locked();
}

// --- outputs and events

std::string EditorSession::image_png() {
  std::lock_guard<std::mutex> lock(mutex_);
  return image_png_;
}

std::shared_ptr<EventQueue> EditorSession::subscribe(size_t max_streams) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) throw NotFoundError("session " + id_ + " is closed");
  if (events_.subscriber_count() >= max_streams)
    throw HttpError(429, "this session already has " + std::to_string(max_streams) +
                             " event streams open (close a tab or an old stream first)");
  auto queue = events_.subscribe();
  queue->push(std::make_shared<const std::string>(EventHub::format("state", state_locked())), EventKind::latest);
  return queue;
}

void EditorSession::close() {
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    stop_requested_ = true;
    worker = std::move(worker_);
  }
  if (worker.joinable()) worker.join();
  events_.close_all();
}

}  // namespace draggan::server
