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
//   GET    /api/sessions/{id}/image.png         the current image (marked "AI Generated" unless --no-ai-mark;
//                                               its provenance record in text chunks and XMP)
//   GET    /api/sessions/{id}/events            server-sent events: state, step, done
//   GET    /api/sessions/{id}/session.json      save: model identity, seed, latent (base64 float32), points, mask
//   POST   /api/sessions/{id}/load              restore a saved session
//   GET    /api/sessions/{id}/animation.gif     the last drag as an animated GIF
//   GET    /api/sessions/{id}/animation.png     the same as an animated PNG (APNG, full colour)
//   GET    /api/status                          sessions in memory / on disk, open streams and connections
// Errors: 4xx/5xx with {"error": "..."}.
//
// Who may call it (RequestGuard.h): only requests whose Host names this server and whose Origin, if any, is
// its own page; bodies only as application/json (images on upload/mask) with a Content-Length within the
// route's limit (ServerLimits.h). Sessions are never evicted while open (SessionManager.h); event streams
// and slow clients each have their own thread (ConnectionServer.h), at most max_event_streams streams in all
// and limits::kEventStreamsPerSession per session (429 beyond).
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/ModelRegistry.h"

namespace draggan::server {

class EditorSession;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 7860;                          // 0 = any free port
  std::vector<std::string> allowed_hosts;   // Host names answered besides loopback and the bound address
  std::chrono::seconds session_timeout{600};  // no page and no request for this long: the session is deleted
  std::chrono::seconds session_idle{60};      // a request this recent keeps a session open (never moved out)
  size_t max_sessions = 128;                  // in memory; idle ones beyond go to the spill directory
  uint64_t session_memory = uint64_t{1} << 30;  // estimated bytes of the sessions in memory
  std::string spill_dir;                      // "" = no spilling (a full server refuses new sessions)
  uint64_t spill_bytes = uint64_t{512} << 20;
  size_t max_event_streams = 64;
  size_t max_connections = 256;
  size_t max_connections_per_address = 0;  // 0 = max_connections (slots are still shared fairly)
  double connects_per_second = 50;         // per address, beyond a burst of twice that; then it takes only its own slots
  std::chrono::seconds request_timeout{30};  // a request (headers and body) must arrive within this
  // At shutdown, each session (idle ones brought back from disk first) goes here before the server forgets it:
  // a session store saves it where another replica finds it. Unset: nothing is kept (docs/server.md).
  std::function<void(const std::string& id, EditorSession& session)> hand_over_session;
  bool ai_mark = true;  // the visible "AI Generated" mark on every image the editor shows and saves
};

class EditorServer {
 public:
  EditorServer(std::shared_ptr<ModelRegistry> models, ServerOptions options);
  ~EditorServer();

  // Binds the socket; returns the port (useful with port 0). Throws Error if the address is taken.
  int bind();
  // Serves until shutdown() (from another thread: a signal watcher), then finishes it: every session is handed
  // over (options.hand_over_session) and closed, the spill folder removed. False when a connection thread was
  // still running 3 s after the grace ended (the caller must then not destroy the server: exit instead).
  bool run();
  // Stops accepting connections at once, new requests on sessions get 503, running drags and uploads stop at
  // their next step boundary, event streams end; requests in flight get `grace` to finish, then their
  // connections are cut. Returns at once; run() returns when it is done. Idempotent.
  void shutdown(std::chrono::milliseconds grace);
  void stop() { shutdown(std::chrono::milliseconds(0)); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace draggan::server
