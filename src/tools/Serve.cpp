// `draggan serve`: the interactive editor in the browser (page + JSON API + live steps).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "ShutdownSignals.h"
#include "Subcommands.h"
#include "draggan/core/Log.h"
#include "server/EditorServer.h"
#include "server/ModelRegistry.h"

namespace draggan::tools {
namespace {

struct ServeOptions {
  std::string model;
  std::string models_dir;
  std::string host = "127.0.0.1";
  int port = 7860;
  std::vector<std::string> allowed_hosts;
  int session_timeout = 600;
  int session_idle = 60;
  int max_sessions = 128;
  int session_memory_mb = 1024;
  std::string state_dir;
  int spill_mb = 512;
  int max_event_streams = 64;
  int max_connections = 256;
  int max_connections_per_address = 0;
  double connects_per_second = 50;
  int request_timeout = 30;
  int shutdown_timeout = 10;
  bool no_ai_mark = false;
};

// Where idle sessions go when memory or the session cap runs out: $XDG_STATE_HOME/draggan (or
// ~/.local/state/draggan), one folder per server process, removed at exit. Folders left by servers that
// died without cleaning up are removed here.
std::string prepare_spill_dir(const std::string& state_dir_option) {
  namespace fs = std::filesystem;
  fs::path state = state_dir_option;
  if (state.empty()) {
    if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) state = fs::path(xdg) / "draggan";
    else if (const char* home = std::getenv("HOME"); home && *home) state = fs::path(home) / ".local/state/draggan";
    else state = fs::temp_directory_path() / ("draggan-" + std::to_string(::getuid()));
  }
  std::error_code ec;
  fs::create_directories(state, ec);
  if (ec) {
    log::warn("cannot create the state folder ", state.string(), " (", ec.message(),
              "): idle sessions stay in memory and a full server refuses new ones");
    return "";
  }
  for (const auto& item : fs::directory_iterator(state, ec)) {
    const std::string name = item.path().filename().string();
    if (name.rfind("spill-", 0) != 0) continue;
    const pid_t pid = static_cast<pid_t>(std::atoi(name.c_str() + 6));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(item.path(), ec);
  }
  return (state / ("spill-" + std::to_string(::getpid()))).string();
}

int run_serve(const ServeOptions& opt, const CommonOptions& common) {
  // First, so that Ctrl-C while the model loads is a clean stop too.
  ShutdownSignals signals;
#ifdef M_ARENA_MAX
  // One connection thread per client: glibc would give up to 8 malloc arenas per core to them, each keeping
  // what was freed in it (measured under the load test: peak RSS 424 MB with the default, 283 MB with 2).
  // A fixed mmap threshold returns large buffers (image decodes) to the system when freed; the default one
  // rises to 32 MB after the first big free (largest uploads one after another: 380 MB, with 8 MB: 327 MB).
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 8 << 20);
#endif
  std::vector<std::string> paths;
  if (!opt.model.empty()) paths.push_back(opt.model);
  if (!opt.models_dir.empty()) paths.push_back(opt.models_dir);
  if (paths.empty()) paths.push_back(default_model_path());

  auto models = std::make_shared<server::ModelRegistry>(paths, common.torch_device());
  models->get(models->default_id());  // fail now, not in the first browser request, if it cannot load

  server::ServerOptions options;
  options.host = opt.host;
  options.port = opt.port;
  options.allowed_hosts = opt.allowed_hosts;
  options.session_timeout = std::chrono::seconds(opt.session_timeout);
  options.session_idle = std::chrono::seconds(opt.session_idle);
  options.max_sessions = static_cast<size_t>(opt.max_sessions);
  options.session_memory = static_cast<uint64_t>(opt.session_memory_mb) << 20;
  options.spill_dir = opt.spill_mb > 0 ? prepare_spill_dir(opt.state_dir) : "";
  options.spill_bytes = static_cast<uint64_t>(opt.spill_mb) << 20;
  options.max_event_streams = static_cast<size_t>(opt.max_event_streams);
  options.max_connections = static_cast<size_t>(opt.max_connections);
  options.max_connections_per_address = static_cast<size_t>(opt.max_connections_per_address);
  options.connects_per_second = opt.connects_per_second;
  options.request_timeout = std::chrono::seconds(opt.request_timeout);
  options.ai_mark = !opt.no_ai_mark;

  server::EditorServer editor(models, options);
  const int port = editor.bind();
  const std::string shown_host = opt.host == "0.0.0.0" ? "127.0.0.1" : opt.host;
  std::cout << "draggan: serving " << models->ids().size() << " model(s) at http://" << shown_host << ":" << port
            << "/" << std::endl;

  // Ctrl-C / SIGTERM: stop accepting, stop drags at a step boundary, give requests in flight
  // --shutdown-timeout seconds, then cut what is left (docs/server.md, "Shutdown"). A second signal exits at once.
  const auto grace = std::chrono::seconds(opt.shutdown_timeout);
  std::thread watcher([&editor, &signals, grace] {
    const int received = signals.wait();
    if (received != 0) log::info("signal ", received, ": shutting down (a second signal exits at once)");
    editor.shutdown(grace);
  });
  const bool clean = editor.run();  // returns once the shutdown has finished (sessions handed over, spill removed)
  signals.wake();  // the server may have stopped for another reason
  watcher.join();
  if (!clean) {
    // A connection thread did not end even after its socket was shut down: the process must not destroy the
    // server under it. Everything that had to be saved or removed already was.
    log::warn("exiting with connection threads still running");
    std::cout.flush();
    std::_Exit(0);
  }
  log::info("shut down cleanly");
  return 0;
}

SubcommandRunner setup_serve(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<ServeOptions>();
  auto* model = sub.add_option("-m,--model", opt->model, "Checkpoint to serve (.pkl or .safetensors); default: the shipped model");
  sub.add_option("--models", opt->models_dir, "Serve every .pkl/.safetensors in this folder (the page offers a picker)")
      ->excludes(model);
  sub.add_option("--host", opt->host, "Address to listen on (0.0.0.0 for every interface)")->capture_default_str();
  sub.add_option("-p,--port", opt->port, "Port (0 = any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  sub.add_option("--allowed-host", opt->allowed_hosts,
                 "Also answer requests for this Host name (repeatable; for LAN use, e.g. the machine's name; "
                 "'*' = any, behind a proxy that checks it)");
  sub.add_option("--session-timeout", opt->session_timeout,
                 "Delete a session after this many seconds without an open page or a request")
      ->capture_default_str()
      ->check(CLI::Range(1, 30 * 24 * 3600));
  sub.add_option("--session-idle", opt->session_idle,
                 "A session with a request this recent (seconds) counts as open, like one with its page open")
      ->capture_default_str()
      ->check(CLI::Range(1, 24 * 3600));
  sub.add_option("--max-sessions", opt->max_sessions,
                 "Most sessions in memory; idle ones beyond are moved to disk, and new ones refused (503) when "
                 "all are open")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  sub.add_option("--session-memory-mb", opt->session_memory_mb, "Estimated memory of the sessions in memory (MB)")
      ->capture_default_str()
      ->check(CLI::Range(16, 1 << 20));
  sub.add_option("--state-dir", opt->state_dir,
                 "Folder for idle sessions moved to disk (default $XDG_STATE_HOME/draggan or ~/.local/state/draggan)");
  sub.add_option("--spill-mb", opt->spill_mb, "Most disk space for idle sessions (MB; 0 = keep all in memory)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 20));
  sub.add_option("--max-event-streams", opt->max_event_streams, "Most live event streams open at once (429 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  sub.add_option("--max-connections", opt->max_connections, "Most client connections at once (503 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(8, 900));
  sub.add_option("--max-connections-per-address", opt->max_connections_per_address,
                 "Most connections from one client address (0 = --max-connections; a full server takes slots "
                 "from the address holding most anyway)")
      ->capture_default_str()
      ->check(CLI::Range(0, 900));
  sub.add_option("--connects-per-second", opt->connects_per_second,
                 "Connections per second one client address may open (beyond a burst of twice that) and still "
                 "take others' slots on a full server (0 = no limit)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e6));
  sub.add_option("--request-timeout", opt->request_timeout,
                 "Seconds a client has to send a whole request (headers and body); slower ones are cut off")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  sub.add_option("--shutdown-timeout", opt->shutdown_timeout,
                 "On Ctrl-C/SIGTERM: seconds requests in flight get to finish before their connections are cut")
      ->capture_default_str()
      ->check(CLI::Range(0, 600));
  sub.add_flag("--no-ai-mark", opt->no_ai_mark,
               "Leave the visible \"AI Generated\" mark off the editor's images (a lab's own use; the files still "
               "carry their provenance record). The official DragGAN asks derivatives to keep the mark: publish "
               "marked images");
  return [opt, &common] { return run_serve(*opt, common); };
}

const RegisterSubcommand kServe{"serve", "Interactive editor in the browser (drag points on the image)", 60, &setup_serve};

}  // namespace
}  // namespace draggan::tools
