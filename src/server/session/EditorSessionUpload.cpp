// EditorSession's "Upload image": the photo is decoded and fitted to the model on the HTTP thread (so an
// unreadable file is a plain 400, and the full-size pixels are freed at once), then projected and pivotal-tuned
// on the session's worker thread like a drag, with progress as server-sent "upload" events. Stop raises the
// same flag a drag checks; what was reached by then is kept.
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/io/Image.h"
#include "draggan/io/ImageResize.h"
#include "draggan/io/ModelProvenance.h"
#include "server/codec/Base64.h"
#include "server/session/EditorSession.h"
#include "server/session/SessionInput.h"

namespace draggan::server {
namespace {

constexpr int kMaxSteps = 20000;
constexpr int kPreviewEvery = 10;  // live previews cost a render each

int parse_steps(const nlohmann::json& options, const char* key, int fallback, int minimum) {
  if (!options.contains(key)) return fallback;
  const nlohmann::json& v = options[key];
  if (!v.is_number_integer() || v.get<int64_t>() < minimum || v.get<int64_t>() > kMaxSteps)
    throw InputError(std::string("upload: \"") + key + "\" must be an integer in " + std::to_string(minimum) + ".." +
                     std::to_string(kMaxSteps) + ", got " + v.dump());
  return v.get<int>();
}

nlohmann::json quality_json(const ReconstructionQuality& q) { return {{"psnr", q.psnr}, {"ssim", q.ssim}}; }

}  // namespace

torch::Tensor EditorSession::fit_photo(const std::string& bytes, const std::string& name, const ImageBudget& budget,
                                       const std::function<bool()>& abandoned) {
  if (bytes.empty()) throw InputError("upload: the request body is empty (send the image file's bytes)");
  ImageShape shape;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    shape = model_->generator->image_shape();
  }
  // The name is the client's: keep it short and printable in messages.
  std::string origin = name.empty() ? "uploaded image" : name.substr(0, 100);
  for (char& c : origin)
    if (static_cast<unsigned char>(c) < 32) c = '?';
  const torch::Tensor photo = decode_image(bytes, origin, budget, abandoned);  // InputError if unreadable, too large
  // The projection fits the photo the same way again, which leaves a fitted image as it is.
  return fitted_to_uint8(fit_image(photo, shape.height, shape.width, shape.channels, InversionOptions{}.fit));
}

void EditorSession::upload(const torch::Tensor& photo, const nlohmann::json& options, const std::string& photo_sha256) {
  check_fields(options, {"steps", "pti_steps"}, "upload");
  // The fast schedule (as `draggan project`): a first reconstruction within seconds, refined live.
  InversionOptions inversion;
  inversion.schedule = InversionSchedule::Fast;
  inversion.fast.set_total_steps(parse_steps(options, "steps", inversion.fast.total_steps(), 1));
  const int pti_steps = parse_steps(options, "pti_steps", fast_tuning_options(0).steps, 0);

  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("upload an image");
  inversion.pti = fast_tuning_options(static_cast<int>(height_));
  inversion.pti.steps = pti_steps;
  if (worker_.joinable()) worker_.join();  // the previous job's thread has finished its work already
  upload_ = {{"stage", "projection"}, {"step", 0}, {"total", inversion.fast.total_steps()},
             {"pti_steps", inversion.pti.steps}, {"reason", nullptr}};
  stop_requested_ = false;
  running_ = true;
  running_task_ = "upload";
  worker_ = std::thread(&EditorSession::run_upload, this, model_, photo, inversion, photo_sha256);
  publish_state_locked();
}

void EditorSession::run_upload(std::shared_ptr<LoadedModel> model, torch::Tensor photo, InversionOptions options,
                               std::string photo_sha256) {
  // Previews and the result are the photo as the generator makes it: an edited photo, named by its hash.
  ImageProvenance record;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    record = image_provenance_of(*model, models_->file_sha256(model_id_));
  }
  record.origin = ImageOrigin::EditedPhoto;
  record.photo_sha256 = photo_sha256;
  InversionCallbacks callbacks;
  callbacks.preview_every = kPreviewEvery;
  callbacks.cancel = &stop_requested_;
  callbacks.on_step = [this, &record](const InversionProgress& p) {
    nlohmann::json event = {{"stage", to_string(p.stage)}, {"step", p.step}, {"total", p.total},
                            {"loss", p.loss},              {"mse", p.mse},   {"reason", nullptr}};
    // Previews are shown but not kept: the session image changes only when the upload is finished.
    nlohmann::json live = event;
    if (p.preview.defined())
      live["image"] = "data:image/png;base64," + base64_encode(encode_shown_png(p.preview.cpu().contiguous(), record, ai_mark_));
    std::lock_guard<std::mutex> lock(mutex_);
    touch();
    upload_ = event;
    events_.publish("upload", live, EventKind::droppable);
  };
  InversionResult result;
  nlohmann::json outcome = nlohmann::json::object();
  try {
    result = invert_image(*model, photo, options, callbacks);
    outcome["reason"] = result.cancelled ? "stopped" : "done";
    outcome["perceptual"] = result.perceptual;
    outcome["projected"] = quality_json(result.projected);
    if (result.tuned) outcome["tuned"] = quality_json(*result.tuned);
    outcome["psnr"] = (result.tuned ? *result.tuned : result.projected).psnr;
  } catch (const std::exception& e) {
    log::warn("session ", id_, ": upload failed: ", e.what());
    outcome["reason"] = "error";
    outcome["error"] = e.what();
    result = InversionResult();
  }
  finish_upload(std::move(result), std::move(model), std::move(outcome), record);
}

void EditorSession::finish_upload(InversionResult result, std::shared_ptr<LoadedModel> model, nlohmann::json outcome,
                                  const ImageProvenance& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (result.ws.defined() && !closed_) {
    try {
      push_undo_locked();
      // Same config and id, the tuned weights: a drag, a seed change or a reset now use the tuned generator.
      auto tuned = std::make_shared<LoadedModel>(*model);
      tuned->generator = result.generator;
      model_ = tuned;
      points_.clear();  // points placed on the old image mean nothing on the photo
      set_latent_locked(result.ws, record);
    } catch (const std::exception& e) {
      restore_locked(undo_.back());  // back to the image (and generator) before the upload
      undo_.pop_back();
      log::warn("session ", id_, ": cannot render the upload's result: ", e.what());
      outcome["reason"] = "error";
      outcome["error"] = e.what();
    }
  }
  outcome["stage"] = upload_.value("stage", "projection");
  upload_ = outcome;
  running_ = false;
  stop_requested_ = false;
  update_bytes_locked();
  nlohmann::json done = outcome;
  done["task"] = "upload";
  done["state"] = state_locked();
  events_.publish("done", done);
  idle_.notify_all();
}

}  // namespace draggan::server
