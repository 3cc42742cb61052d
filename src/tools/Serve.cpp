// `draggan serve`: the interactive editor in the browser (page + JSON API + live steps).
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

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
  int session_timeout = 600;
  int max_sessions = 32;
};

int run_serve(const ServeOptions& opt, const CommonOptions& common) {
  std::vector<std::string> paths;
  if (!opt.model.empty()) paths.push_back(opt.model);
  if (!opt.models_dir.empty()) paths.push_back(opt.models_dir);
  if (paths.empty()) paths.push_back(default_model_path());

  auto models = std::make_shared<server::ModelRegistry>(paths, common.torch_device());
  models->get(models->default_id());  // fail now, not in the first browser request, if it cannot load

  server::ServerOptions options;
  options.host = opt.host;
  options.port = opt.port;
  options.session_timeout = std::chrono::seconds(opt.session_timeout);
  options.max_sessions = static_cast<size_t>(opt.max_sessions);

  // Ctrl-C / SIGTERM end the server cleanly: a watcher thread waits for them (every other thread blocks them).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  server::EditorServer editor(models, options);
  const int port = editor.bind();
  const std::string shown_host = opt.host == "0.0.0.0" ? "127.0.0.1" : opt.host;
  std::cout << "draggan: serving " << models->ids().size() << " model(s) at http://" << shown_host << ":" << port
            << "/" << std::endl;

  std::thread watcher([&editor, signals] {
    int received = 0;
    sigwait(&signals, &received);
    if (received != 0) log::info("signal ", received, ": shutting down");
    editor.stop();
  });
  editor.run();
  // run() returned: wake the watcher if the server stopped for another reason.
  pthread_kill(watcher.native_handle(), SIGTERM);
  watcher.join();
  return 0;
}

SubcommandRunner setup_serve(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<ServeOptions>();
  auto* model = sub.add_option("-m,--model", opt->model, "Checkpoint to serve (.pkl or .safetensors); default: the shipped model");
  sub.add_option("--models", opt->models_dir, "Serve every .pkl/.safetensors in this folder (the page offers a picker)")
      ->excludes(model);
  sub.add_option("--host", opt->host, "Address to listen on (0.0.0.0 for every interface)")->capture_default_str();
  sub.add_option("-p,--port", opt->port, "Port (0 = any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  sub.add_option("--session-timeout", opt->session_timeout, "Free a session after this many idle seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  sub.add_option("--max-sessions", opt->max_sessions, "Most sessions kept at once")->capture_default_str()->check(CLI::Range(1, 10000));
  return [opt, &common] { return run_serve(*opt, common); };
}

const RegisterSubcommand kServe{"serve", "Interactive editor in the browser (drag points on the image)", 60, &setup_serve};

}  // namespace
}  // namespace draggan::tools
