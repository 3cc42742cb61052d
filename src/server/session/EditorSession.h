// One editor session (one browser tab): a model, the current latent and image, handle/target points, a mask,
// undo/redo of whole drags, and at most one running drag on its own worker thread. Every public method is
// safe to call from any HTTP thread; while a drag runs, edits that would change it answer 409.
//
// Mask convention on the wire and here: 1 = movable region (what the user paints), 0 = keep fixed. The drag
// engine wants the opposite (1 = fixed, as the official renderer), so it gets 1 - mask.
//
// Every image the session shows and saves (live frames, /image.png, upload previews, animations) is a PNG (or GIF)
// with the image's provenance record (model, seed or photo, drags so far; provenance/ImageProvenance.h) and,
// unless the server runs with --no-ai-mark, the visible "AI Generated" mark (provenance/GeneratedMark.h: small
// models' images enlarged to 256 px). The record of the current image lives in its PNG, so undo/redo and
// spilling keep it without more state.
//
// An idle session can be written to disk whole (write_spill: image, points, mask, params, undo/redo, the last
// animation, tuned generators) and brought back as it was (restore_spill), under the same id.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "draggan/drag/DragSession.h"
#include "draggan/invert/ImageInversion.h"
#include "draggan/io/Image.h"
#include "draggan/provenance/ImageProvenance.h"
#include "server/session/EditorParams.h"
#include "server/session/EditorPoint.h"
#include "server/session/EventHub.h"
#include "server/ModelRegistry.h"

namespace draggan::server {

// A live image of the drag: the exact image of the latent after `latent_steps` optimiser steps.
struct RenderedFrame {
  torch::Tensor image;  // uint8 [H, W, C]
  std::string png;
  int latent_steps = -1;
};
// Renders generator(ws) on a thread of its own (no grad; the generator is only read), encoded with `record`
// (whose last drag gets `latent_steps` steps) and, with `ai_mark`, the visible mark.
std::future<RenderedFrame> render_frame_async(GeneratorPtr generator, torch::Tensor ws, NoiseMode noise,
                                              int latent_steps, ImageProvenance record, bool ai_mark);
// The PNG the editor shows and saves of `image`: marked when `ai_mark`, with `record`.
std::string encode_shown_png(const torch::Tensor& image, const ImageProvenance& record, bool ai_mark);

class EditorSession {
 public:
  // `request`: {model?, seed?, psi?, latent_space?, params?}; renders the first image.
  // `ai_mark`: stamp the visible "AI Generated" mark on the images it shows and saves.
  EditorSession(std::string id, std::shared_ptr<ModelRegistry> models, const nlohmann::json& request,
                bool ai_mark = true);
  // A session written by write_spill, under its id. Throws (Error/CheckpointError) when the file is unusable.
  static std::shared_ptr<EditorSession> restore_spill(std::string id, std::shared_ptr<ModelRegistry> models,
                                                      const std::string& path, bool ai_mark = true);
  ~EditorSession();
  EditorSession(const EditorSession&) = delete;
  EditorSession& operator=(const EditorSession&) = delete;

  const std::string& id() const { return id_; }
  int64_t width() const { return width_; }
  int64_t height() const { return height_; }

  nlohmann::json state();
  void update_settings(const nlohmann::json& request);
  void reset();

  void add_point(const nlohmann::json& request);
  void update_point(int point_id, const nlohmann::json& request);
  void remove_point(int point_id);
  void clear_points();

  // bool [H, W], 1 = movable; an undefined tensor clears the mask.
  void set_mask(const torch::Tensor& movable);
  nlohmann::json mask_json();

  // Starts a drag on a worker thread (ConflictError if one runs). `request`: {max_steps?, params?}.
  void start(const nlohmann::json& request);
  // Asks the drag to stop and waits for it to finish its current step.
  void stop();
  // Asks without waiting (server shutdown stops every session's drag at once).
  void request_stop() { stop_requested_ = running_.load(); }
  bool running() const { return running_; }

  // An uploaded photo, decoded within `budget` (InputError if unreadable or too large) and fitted to this
  // session's model right away (uint8 [H, W, C]), so the full-size decode is freed before the projection.
  // `abandoned`: the client left (the decode stops early).
  torch::Tensor fit_photo(const std::string& bytes, const std::string& name, const ImageBudget& budget,
                          const std::function<bool()>& abandoned = {});
  // Replaces the image by the fitted photo: projects it and pivotal-tunes a copy of the generator on the
  // worker thread (ConflictError while busy), publishing "upload" progress events and a final "done"
  // {task: "upload"}. Stop cancels it. Afterwards the session drags the reconstruction; undo returns to the
  // previous image and generator. `options`: {steps?, pti_steps?}. `photo_sha256` names the uploaded file in the
  // provenance record of every image made from it.
  void upload(const torch::Tensor& photo, const nlohmann::json& options, const std::string& photo_sha256);

  void undo();
  void redo();

  std::string image_png();
  nlohmann::json save();
  void load(const nlohmann::json& document);
  // The last drag as an animation (one frame per live image): GIF (256 colours, plays everywhere) or APNG
  // (full colour). NotFoundError before the first drag.
  std::string animation_gif();
  std::string animation_png();

  // Live events; the new queue starts with the current state. HttpError 429 when `max_streams` are open.
  std::shared_ptr<EventQueue> subscribe(size_t max_streams);
  bool has_listeners() { return events_.subscriber_count() > 0; }

  void touch();
  std::chrono::steady_clock::time_point last_used() const;
  // Memory held (images, latents, undo history, animation frames, tuned weights), kept up to date without
  // the session lock so the manager can read it any time.
  uint64_t approx_bytes() const { return bytes_.load(); }
  // The most this session may hold: beyond it, the oldest undo (then redo) entries are forgotten. The current
  // image and generator are never dropped.
  void set_memory_cap(uint64_t bytes) { memory_cap_ = bytes; }

  // Writes the whole session to `path` (safetensors). ConflictError while a drag or upload runs.
  void write_spill(const std::string& path);

  // Stops the drag, joins the worker, ends every event stream. The session is unusable afterwards.
  void close();

 private:
  // What undo/redo restore: the image and the points (a drag moves the handles), not the mask or params.
  struct Snapshot {
    torch::Tensor ws;
    torch::Tensor image;  // uint8 [H, W, C]
    std::string image_png;
    std::vector<EditorPoint> points;
    uint32_t seed;
    double psi;
    std::shared_ptr<LoadedModel> model;  // an upload swaps in a tuned generator; undo swaps it back
  };

  struct RestoreTag {};
  EditorSession(std::string id, std::shared_ptr<ModelRegistry> models, RestoreTag, bool ai_mark);
  void read_spill(const std::string& path);

  nlohmann::json state_locked() const;
  void check_idle_locked(const char* action) const;
  void switch_model_locked(const std::string& model_id);
  // Renders, encodes with `record` (the new image's provenance) and bumps the image version.
  void set_latent_locked(const torch::Tensor& ws, const ImageProvenance& record);
  // The record of an image the current model makes from the seed: model, seed, psi (and the photo the
  // generator was tuned to, after an upload).
  ImageProvenance seed_record_locked() const;
  // The record of the current image, read back from its PNG.
  ImageProvenance current_record_locked() const;
  void set_image_locked(torch::Tensor image, std::string png);
  void push_undo_locked();
  Snapshot snapshot_locked() const;
  void restore_locked(const Snapshot& snapshot);
  // Every change ends here: the state goes to the event streams and the memory estimate is updated.
  void publish_state_locked();
  void update_bytes_locked();
  // Forgets the oldest history until the estimate is within memory_cap_ (or no history is left).
  void trim_history_locked();
  // `record`: the provenance of the images it makes (the drag last, its steps filled in per image).
  void run_drag(std::shared_ptr<DragSession> drag, EditorParams params, std::vector<int> point_ids,
                ImageProvenance record);
  // A step's event (with its live image, when it has one), marked with how far the engine has got.
  void publish_step(nlohmann::json event, RenderedFrame* frame, int engine_step);
  // last_frame: the last live image; reused as the result when it shows the final latent.
  void finish_drag(DragSession& drag, const std::vector<int>& point_ids, const nlohmann::json& progress,
                   const RenderedFrame& last_frame, const ImageProvenance& record);
  void run_upload(std::shared_ptr<LoadedModel> model, torch::Tensor photo, InversionOptions options,
                  std::string photo_sha256);
  // `record`: the reconstruction's provenance (an edited photo).
  void finish_upload(InversionResult result, std::shared_ptr<LoadedModel> model, nlohmann::json outcome,
                     const ImageProvenance& record);
  void move_handles_locked(const std::vector<DragPoint>& handles, const std::vector<int>& point_ids);
  // Keeps a live image for the animation; `always` for the first and last frames.
  void record_frame_locked(const torch::Tensor& image, bool always);
  // The frames as exported (marked unless --no-ai-mark) and the record of the drag's result.
  std::vector<torch::Tensor> animation_frames(ImageProvenance& record);

  const std::string id_;
  std::shared_ptr<ModelRegistry> models_;
  const bool ai_mark_;

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  std::string model_id_;
  std::shared_ptr<LoadedModel> model_;
  int64_t height_ = 0, width_ = 0;
  uint32_t seed_ = 0;
  double psi_ = 0.7;
  LatentSpace latent_space_ = LatentSpace::WPlus;
  EditorParams params_;

  torch::Tensor ws_;        // current latent [1, num_ws, w_dim]
  torch::Tensor image_;     // current image, uint8 [H, W, C]
  std::string image_png_;   // cached encoding of image_, as shown and saved (mark, provenance record)
  int64_t image_version_ = 0;
  std::vector<EditorPoint> points_;
  int next_point_id_ = 1;
  torch::Tensor mask_;      // bool [H, W], 1 = movable; undefined = none
  std::vector<Snapshot> undo_;
  std::vector<Snapshot> redo_;

  std::atomic<bool> running_{false};
  const char* running_task_ = "drag";  // what running_ is busy with, for error messages: "drag" or "upload"
  std::atomic<bool> stop_requested_{false};
  std::thread worker_;
  nlohmann::json progress_ = nullptr;   // the running/last drag: step, distance, steps/s, reason
  nlohmann::json upload_ = nullptr;     // the running/last upload: stage, step, total, psnr, reason
  std::vector<torch::Tensor> frames_;   // the last drag, for the animation
  int frame_stride_ = 1;                // frames_ keeps every k-th live image once it grows too long
  int frame_counter_ = 0;

  EventHub events_;
  std::atomic<int64_t> last_used_;
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> memory_cap_{UINT64_MAX};
  bool closed_ = false;
};

}  // namespace draggan::server
