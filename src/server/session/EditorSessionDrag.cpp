// EditorSession's drag: started from an HTTP thread, run step by step on the session's worker thread, each
// step published as a server-sent event. Stop is a flag checked between steps, so it takes effect within one.
#include <algorithm>
#include <cmath>
#include <future>
#include <optional>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/io/GifWriter.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/provenance/GeneratedMark.h"
#include "server/codec/Base64.h"
#include "server/session/EditorSession.h"
#include "server/http/HttpError.h"

namespace draggan::server {
namespace {

// Live images up to this size travel inside the step event (one round trip less); larger ones are fetched
// from /image.png by version, so a slow link drops frames instead of queueing megabytes.
constexpr size_t kInlineImageBytes = 256 * 1024;
// The animation keeps at most this many bytes of frames (thinned to every 2nd, 4th, ... image beyond it).
constexpr int64_t kAnimationBytes = 256LL << 20;
constexpr int kAnimationFrameMs = 60;
constexpr int kAnimationHoldMs = 1200;

double max_distance(const std::vector<double>& distances) {
  return distances.empty() ? 0.0 : *std::max_element(distances.begin(), distances.end());
}

// The record of the image after `steps` steps of the drag that is the record's last.
ImageProvenance after_steps(ImageProvenance record, int steps) {
  if (!record.drags.empty()) record.drags.back().steps = steps;
  return record;
}

}  // namespace

std::future<RenderedFrame> render_frame_async(GeneratorPtr generator, torch::Tensor ws, NoiseMode noise,
                                              int latent_steps, ImageProvenance record, bool ai_mark) {
  return std::async(std::launch::async, [generator = std::move(generator), ws = std::move(ws), noise, latent_steps,
                                         record = after_steps(std::move(record), latent_steps), ai_mark] {
    torch::NoGradGuard no_grad;
    RenderedFrame frame;
    frame.image = image_to_uint8(generator->synthesize(ws, noise)).cpu().contiguous();
    frame.png = encode_shown_png(frame.image, record, ai_mark);
    frame.latent_steps = latent_steps;
    return frame;
  });
}

void EditorSession::start(const nlohmann::json& request) {
  std::lock_guard<std::mutex> lock(mutex_);
  check_idle_locked("start another drag");
  for (const auto& [key, value] : request.items())
    if (key != "max_steps" && key != "params") throw InputError("start: unknown field \"" + key + "\"");
  EditorParams params = params_;
  if (request.contains("params")) apply_params_json(request["params"], *model_->generator, params);
  if (request.contains("max_steps")) apply_params_json({{"max_steps", request["max_steps"]}}, *model_->generator, params);

  std::vector<DragPair> pairs;
  std::vector<int> point_ids;
  for (const auto& p : points_) {
    if (!p.target) continue;  // a handle still waiting for its target takes no part
    pairs.push_back({p.handle, *p.target});
    point_ids.push_back(p.id);
  }
  if (pairs.empty()) throw InputError("start: no handle has a target yet (click a handle, then its target)");

  auto drag = std::make_shared<DragSession>(model_->generator, ws_, params.drag, latent_space_);
  drag->set_pairs(pairs);
  if (mask_.defined()) drag->set_mask(mask_.logical_not().to(torch::kFloat32));  // engine: 1 = keep fixed

  // The record of the images this drag makes: the current image's, plus this drag (its steps filled in as it runs).
  ImageProvenance record = current_record_locked();
  DragEdit edit;
  for (const auto& pair : pairs) edit.points.push_back({pair.handle.x, pair.handle.y, pair.target.x, pair.target.y});
  edit.masked = mask_.defined();
  record.drags.push_back(std::move(edit));

  params_ = params;
  if (worker_.joinable()) worker_.join();  // the previous drag's thread has finished its work already
  push_undo_locked();
  frames_.clear();
  frame_counter_ = 0;
  frame_stride_ = 1;
  record_frame_locked(image_, true);
  std::vector<double> distances;
  for (const auto& pair : pairs)
    distances.push_back(std::hypot(pair.target.x - pair.handle.x, pair.target.y - pair.handle.y));
  progress_ = {{"step", 0}, {"distance", max_distance(distances)}, {"distances", distances},
               {"steps_per_second", nullptr}, {"reason", nullptr}};
  stop_requested_ = false;
  running_ = true;
  running_task_ = "drag";
  worker_ = std::thread(&EditorSession::run_drag, this, drag, params, point_ids, std::move(record));
  publish_state_locked();
}

void EditorSession::stop() {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!running_) return;  // already finished: stopping is not an error
  stop_requested_ = true;
  idle_.wait(lock, [this] { return !running_.load(); });
}

namespace {

// A step whose event waits for its live image.
struct PendingFrame {
  nlohmann::json event;
  std::future<RenderedFrame> image;
};

}  // namespace

void EditorSession::run_drag(std::shared_ptr<DragSession> drag, EditorParams params, std::vector<int> point_ids,
                             ImageProvenance record) {
  const auto started = std::chrono::steady_clock::now();
  nlohmann::json progress = nlohmann::json::object();
  std::string reason;
  // Each live image is rendered on a second thread while the next step runs (the generator is only read by
  // both); its step's event waits for it, so every event shows the exact image of the latent it reports.
  std::optional<PendingFrame> pending;
  RenderedFrame last_frame;
  const auto publish_pending = [&](int engine_step) {
    if (!pending) return;
    RenderedFrame frame = pending->image.get();
    publish_step(std::move(pending->event), &frame, engine_step);
    last_frame = std::move(frame);
    pending.reset();
  };
  try {
    for (int calls = 0;;) {
      if (stop_requested_) {
        reason = "stopped";
        break;
      }
      if (calls >= params.max_steps) {
        reason = "max_steps";
        break;
      }
      const DragStepReport report = drag->step();
      ++calls;
      const bool with_image = report.done || calls % params.preview_every == 0;
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      progress = {{"step", drag->steps_taken()},  {"distance", max_distance(report.distances)},
                  {"distances", report.distances}, {"loss", report.loss},
                  {"steps_per_second", seconds > 0 ? calls / seconds : 0.0}, {"ms", report.ms},
                  {"reason", nullptr}};
      nlohmann::json event = progress;
      nlohmann::json points = nlohmann::json::array();
      for (size_t i = 0; i < report.handles.size() && i < point_ids.size(); ++i)
        points.push_back({{"id", point_ids[i]}, {"handle", {report.handles[i].x, report.handles[i].y}}});
      event["points"] = points;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        touch();  // a drag in progress keeps its session alive
        progress_ = progress;
      }
      publish_pending(drag->steps_taken());
      if (with_image) {
        pending.emplace();
        pending->event = std::move(event);
        pending->image = render_frame_async(drag->generator_ptr(), drag->ws(), drag->params().noise,
                                            drag->steps_taken(), record, ai_mark_);
      } else {
        publish_step(std::move(event), nullptr, drag->steps_taken());
      }
      if (report.done) {
        reason = "reached";
        break;
      }
    }
    publish_pending(drag->steps_taken());
  } catch (const std::exception& e) {
    log::warn("session ", id_, ": drag failed: ", e.what());
    reason = "error";
    progress["error"] = e.what();
  }
  if (pending && pending->image.valid()) pending->image.wait();  // never leave a render running on our generator
  progress["reason"] = reason;
  finish_drag(*drag, point_ids, progress, last_frame, after_steps(std::move(record), drag->steps_taken()));
}

void EditorSession::publish_step(nlohmann::json event, RenderedFrame* frame, int engine_step) {
  std::lock_guard<std::mutex> lock(mutex_);
  // The page says when the image it shows is behind the engine (the next step already ran meanwhile).
  event["engine_step"] = engine_step;
  if (frame != nullptr) {
    record_frame_locked(frame->image, false);
    if (frame->png.size() <= kInlineImageBytes) event["image"] = "data:image/png;base64," + base64_encode(frame->png);
    set_image_locked(frame->image, frame->png);
    event["image_version"] = image_version_;
    event["image_step"] = frame->latent_steps;
  }
  events_.publish("step", event, EventKind::droppable);
}

void EditorSession::finish_drag(DragSession& drag, const std::vector<int>& point_ids, const nlohmann::json& progress,
                                const RenderedFrame& last_frame, const ImageProvenance& record) {
  // The result is rendered before taking the lock: state requests keep being answered meanwhile (unless the last
  // live image already shows it).
  torch::Tensor ws, image;
  std::string png;
  std::vector<DragPoint> handles;
  nlohmann::json outcome = progress;
  try {
    ws = drag.ws();
    for (const auto& pair : drag.pairs()) handles.push_back(pair.handle);
    if (last_frame.image.defined() && last_frame.latent_steps == drag.steps_taken() &&
        drag.params().noise == NoiseMode::Const) {
      image = last_frame.image;
      png = last_frame.png;
    } else {
      image = drag.image_uint8().cpu().contiguous();
      png = encode_shown_png(image, record, ai_mark_);
    }
  } catch (const std::exception& e) {
    log::warn("session ", id_, ": cannot render the drag's result: ", e.what());
    outcome["reason"] = "error";
    outcome["error"] = e.what();
    ws = torch::Tensor();
    image = torch::Tensor();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (ws.defined()) {
    ws_ = ws;
    if (!torch::equal(image, image_)) set_image_locked(image, std::move(png));
    record_frame_locked(image_, true);
    move_handles_locked(handles, point_ids);
  }
  if (drag.steps_taken() == 0 && !undo_.empty()) undo_.pop_back();  // the latent never changed
  progress_ = outcome;
  running_ = false;
  stop_requested_ = false;
  update_bytes_locked();
  nlohmann::json done = outcome;
  done["state"] = state_locked();
  events_.publish("done", done);
  idle_.notify_all();
}

// Tracking moved the handles; the page shows them where the content now is, as the official GUI does.
void EditorSession::move_handles_locked(const std::vector<DragPoint>& handles, const std::vector<int>& point_ids) {
  for (size_t i = 0; i < handles.size() && i < point_ids.size(); ++i)
    for (auto& p : points_)
      if (p.id == point_ids[i]) p.handle = handles[i];
}

void EditorSession::record_frame_locked(const torch::Tensor& image, bool always) {
  if (!always && frame_counter_++ % frame_stride_ != 0) return;
  if (!frames_.empty() && torch::equal(frames_.back(), image)) return;
  frames_.push_back(image);
  const int64_t max_frames = std::clamp<int64_t>(kAnimationBytes / std::max<int64_t>(image.numel(), 1), 16, 400);
  if (static_cast<int64_t>(frames_.size()) > max_frames) {
    // Too many: keep every other frame (first and latest included) and record half as often from now on.
    std::vector<torch::Tensor> kept;
    for (size_t i = 0; i < frames_.size(); i += 2) kept.push_back(frames_[i]);
    if (frames_.size() % 2 == 0) kept.push_back(frames_.back());
    frames_.swap(kept);
    frame_stride_ *= 2;
  }
}

std::vector<torch::Tensor> EditorSession::animation_frames(ImageProvenance& record) {
  std::vector<torch::Tensor> frames;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (frames_.size() < 2) throw NotFoundError("no drag to export yet: start a drag first");
    frames = frames_;
    record = current_record_locked();
  }
  if (ai_mark_)
    for (auto& frame : frames) frame = mark_as_generated(frame);
  return frames;
}

std::string EditorSession::animation_png() {
  ImageProvenance record;
  const std::vector<torch::Tensor> frames = animation_frames(record);
  return encode_animated_png(frames, kAnimationFrameMs, kAnimationHoldMs, &record);
}

std::string EditorSession::animation_gif() {
  ImageProvenance record;
  const std::vector<torch::Tensor> frames = animation_frames(record);
  std::string bytes;
  GifWriter gif(&bytes, static_cast<int>(frames[0].size(1)), static_cast<int>(frames[0].size(0)), kAnimationFrameMs);
  gif.set_provenance(record);
  for (size_t i = 0; i < frames.size(); ++i) {
    gif.add_frame(frames[i]);
    // GIF has one delay per frame: hold the result by repeating the last frame.
    if (i + 1 == frames.size())
      for (int t = kAnimationFrameMs; t < kAnimationHoldMs; t += kAnimationFrameMs) gif.add_frame(frames[i]);
  }
  gif.close();
  return bytes;
}

}  // namespace draggan::server
