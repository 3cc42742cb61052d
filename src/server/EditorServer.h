// `draggan serve`: the editor page and its JSON API over HTTP (cpp-httplib). HTTP threads only parse,
// validate and answer; each running drag has its own worker thread inside its session.
//
// API (JSON bodies and answers; points are image pixels [x, y], x = column, y = row):
//   GET    /api/models                          models served and the default
//   POST   /api/sessions                        {model?, seed?, psi?, latent_space?, params?} -> state (201)
//   GET    /api/sessions/{id}                   state
//   PATCH  /api/sessions/{id}                   {model?, seed?, psi?, latent_space?, params?{...}} -> state
//   DELETE /api/sessions/{id}
//   POST   /api/sessions/{id}/reset             back to the seed's image (undoable)
//   POST   /api/sessions/{id}/points            {handle: [x, y], target?: [x, y]} -> state
//   PATCH  /api/sessions/{id}/points/{pid}      {handle?, target?} -> state
//   DELETE /api/sessions/{id}/points/{pid}      one point;  DELETE /api/sessions/{id}/points: all
//   PUT    /api/sessions/{id}/mask              mask JSON (see MaskCodec.h) or a PNG body; DELETE clears
//   GET    /api/sessions/{id}/mask              {format: "rle", ...} or null
//   POST   /api/sessions/{id}/start             {max_steps?, params?} -> state (409 while running)
//   POST   /api/sessions/{id}/stop              -> state (the drag ends within one step)
//   POST   /api/sessions/{id}/undo | /redo      whole drags
//   GET    /api/sessions/{id}/image.png         the current image
//   GET    /api/sessions/{id}/events            server-sent events: state, step, done
//   GET    /api/sessions/{id}/session.json      save: model identity, seed, latent (base64 float32), points, mask
//   POST   /api/sessions/{id}/load              restore a saved session
//   GET    /api/sessions/{id}/animation.gif     the last drag as an animated GIF
//   GET    /api/sessions/{id}/animation.png     the same as an animated PNG (APNG, full colour)
// Errors: 4xx/5xx with {"error": "..."}.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "server/ModelRegistry.h"

namespace draggan::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 7860;  // 0 = any free port
  std::chrono::seconds session_timeout{600};
  size_t max_sessions = 32;
  size_t http_threads = 32;  // event streams hold a thread each
};

class EditorServer {
 public:
  EditorServer(std::shared_ptr<ModelRegistry> models, ServerOptions options);
  ~EditorServer();

  // Binds the socket; returns the port (useful with port 0). Throws Error if the address is taken.
  int bind();
  // Serves until stop() (from another thread or a signal watcher).
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace draggan::server
