#include "server/EditorServer.h"

#include <httplib.h>

#include <atomic>
#include <functional>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "server/HttpError.h"
#include "server/MaskCodec.h"
#include "server/SessionManager.h"
#include "server/WebAssets.h"

namespace draggan::server {
namespace {

using Json = nlohmann::json;
using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

constexpr char kJson[] = "application/json";
constexpr size_t kMaxBody = 64u << 20;  // a session file with a mask of a 1024-px model fits easily

void send_json(httplib::Response& res, const Json& body, int status = 200) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), kJson);
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}}, status);
}

// Every API handler runs inside this: exceptions become JSON errors and never reach httplib.
Handler guarded(Handler handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (const HttpError& e) {
      send_error(res, e.status, e.what());
    } catch (const InputError& e) {
      send_error(res, 400, e.what());
    } catch (const CheckpointError& e) {
      send_error(res, 422, e.what());
    } catch (const Json::exception& e) {
      send_error(res, 400, std::string("bad JSON value: ") + e.what());
    } catch (const c10::Error& e) {
      log::error(req.method, " ", req.path, ": ", e.what_without_backtrace());
      send_error(res, 500, std::string("internal tensor error: ") + e.what_without_backtrace());
    } catch (const std::exception& e) {
      log::error(req.method, " ", req.path, ": ", e.what());
      send_error(res, 500, e.what());
    }
  };
}

// The request body as a JSON object; an empty body is {}.
Json parse_body(const httplib::Request& req) {
  if (req.body.empty()) return Json::object();
  Json body;
  try {
    body = Json::parse(req.body);
  } catch (const Json::parse_error& e) {
    throw InputError(std::string("malformed JSON body: ") + e.what());
  }
  if (!body.is_object()) throw InputError("the JSON body must be an object");
  return body;
}

int parse_point_id(const std::string& text) {
  try {
    size_t used = 0;
    const int id = std::stoi(text, &used);
    if (used == text.size()) return id;
  } catch (const std::exception&) {
  }
  throw NotFoundError("unknown point \"" + text + "\"");
}

}  // namespace

struct EditorServer::Impl {
  std::shared_ptr<ModelRegistry> models;
  ServerOptions options;
  SessionManager sessions;
  httplib::Server http;
  std::atomic<bool> stopping{false};
  int port = 0;

  Impl(std::shared_ptr<ModelRegistry> m, ServerOptions o)
      : models(m), options(std::move(o)), sessions(m, options.session_timeout, options.max_sessions) {}

  std::shared_ptr<EditorSession> session_of(const httplib::Request& req) { return sessions.get(req.matches[1]); }

  void session_route(const std::string& method, const std::string& suffix,
                     std::function<void(EditorSession&, const httplib::Request&, httplib::Response&)> fn) {
    const std::string pattern = "/api/sessions/([0-9a-zA-Z_-]+)" + suffix;
    Handler handler = guarded([this, fn](const httplib::Request& req, httplib::Response& res) {
      auto session = session_of(req);
      fn(*session, req, res);
    });
    if (method == "GET") http.Get(pattern, handler);
    else if (method == "POST") http.Post(pattern, handler);
    else if (method == "PUT") http.Put(pattern, handler);
    else if (method == "PATCH") http.Patch(pattern, handler);
    else if (method == "DELETE") http.Delete(pattern, handler);
  }

  void routes();
  void serve_events(EditorSession& session, httplib::Response& res);
};

void EditorServer::Impl::routes() {
  http.Get("/api/models", guarded([this](const httplib::Request&, httplib::Response& res) {
    send_json(res, models->describe());
  }));
  http.Post("/api/sessions", guarded([this](const httplib::Request& req, httplib::Response& res) {
    auto session = sessions.create(parse_body(req));
    send_json(res, session->state(), 201);
  }));
  session_route("GET", "", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    send_json(res, s.state());
  });
  session_route("PATCH", "", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    s.update_settings(parse_body(req));
    send_json(res, s.state());
  });
  http.Delete("/api/sessions/([0-9a-zA-Z_-]+)", guarded([this](const httplib::Request& req, httplib::Response& res) {
    sessions.remove(req.matches[1]);
    send_json(res, {{"deleted", std::string(req.matches[1])}});
  }));
  session_route("POST", "/reset", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    s.reset();
    send_json(res, s.state());
  });

  session_route("POST", "/points", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    s.add_point(parse_body(req));
    send_json(res, s.state(), 201);
  });
  session_route("PATCH", "/points/([^/]+)", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    s.update_point(parse_point_id(req.matches[2]), parse_body(req));
    send_json(res, s.state());
  });
  session_route("DELETE", "/points/([^/]+)", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    s.remove_point(parse_point_id(req.matches[2]));
    send_json(res, s.state());
  });
  session_route("DELETE", "/points", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    s.clear_points();
    send_json(res, s.state());
  });

  session_route("PUT", "/mask", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    const std::string type = req.get_header_value("Content-Type");
    if (type.rfind("image/", 0) == 0) {
      s.set_mask(decode_mask_png(req.body, s.height(), s.width()));
    } else {
      s.set_mask(decode_mask(parse_body(req), s.height(), s.width()));
    }
    send_json(res, s.state());
  });
  session_route("GET", "/mask", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    send_json(res, s.mask_json());
  });
  session_route("DELETE", "/mask", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    s.set_mask({});
    send_json(res, s.state());
  });

  session_route("POST", "/start", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    s.start(parse_body(req));
    send_json(res, s.state(), 202);
  });
  // The image file's bytes as the body; options as query parameters (?steps=200&pti_steps=100).
  session_route("POST", "/upload", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    Json options = Json::object();
    for (const char* key : {"steps", "pti_steps"}) {
      if (!req.has_param(key)) continue;
      const std::string text = req.get_param_value(key);
      try {
        size_t used = 0;
        const int value = std::stoi(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
        options[key] = value;
      } catch (const std::exception&) {
        throw InputError(std::string("upload: \"") + key + "\" must be an integer, got \"" + text + "\"");
      }
    }
    s.upload(req.body, req.get_param_value("name"), options);
    send_json(res, s.state(), 202);
  });
  session_route("POST", "/stop", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    s.stop();
    send_json(res, s.state());
  });
  session_route("POST", "/undo", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    s.undo();
    send_json(res, s.state());
  });
  session_route("POST", "/redo", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    s.redo();
    send_json(res, s.state());
  });

  session_route("GET", "/image.png", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(s.image_png(), "image/png");
  });
  session_route("GET", "/session.json", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Disposition", "attachment; filename=\"draggan-session.json\"");
    send_json(res, s.save());
  });
  session_route("POST", "/load", [](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    s.load(parse_body(req));
    send_json(res, s.state());
  });
  session_route("GET", "/animation.gif", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Disposition", "attachment; filename=\"draggan-drag.gif\"");
    res.set_content(s.animation_gif(), "image/gif");
  });
  session_route("GET", "/animation.png", [](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    res.set_header("Content-Disposition", "attachment; filename=\"draggan-drag.png\"");
    res.set_content(s.animation_png(), "image/apng");
  });
  session_route("GET", "/events", [this](EditorSession& s, const httplib::Request&, httplib::Response& res) {
    serve_events(s, res);
  });

  // The page.
  http.Get("/(.*)", [](const httplib::Request& req, httplib::Response& res) {
    const WebAsset* asset = find_web_asset(req.path);
    if (!asset) {
      send_error(res, 404, "no such page: " + req.path);
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(reinterpret_cast<const char*>(asset->data), asset->size, asset->mime);
  });

  // Unknown API routes and methods answer JSON too (httplib calls this for 404s it generates itself).
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    send_error(res, res.status, "no route for " + req.method + " " + req.path);
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string message = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      message = e.what();
    } catch (...) {
    }
    send_error(res, 500, message);
  });
}

void EditorServer::Impl::serve_events(EditorSession& session, httplib::Response& res) {
  auto queue = session.subscribe();  // queues the current state first
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // proxies (nginx) must not buffer the stream
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, queue](size_t, httplib::DataSink& sink) {
        // Called again after each return true: wait for one event (or send a keep-alive comment, which is
        // also how a closed tab is noticed).
        std::string frame;
        if (stopping || queue->closed()) {
          if (queue->pop(frame, std::chrono::milliseconds(0))) sink.write(frame.data(), frame.size());
          sink.done();
          return true;
        }
        if (!queue->pop(frame, std::chrono::seconds(10))) frame = ": keep-alive\n\n";
        if (!sink.write(frame.data(), frame.size())) return false;
        return true;
      },
      [queue](bool) { queue->close(); });
}

EditorServer::EditorServer(std::shared_ptr<ModelRegistry> models, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(models), std::move(options))) {
  const size_t threads = impl_->options.http_threads;
  impl_->http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl_->http.set_payload_max_length(kMaxBody);
  impl_->http.set_keep_alive_max_count(1000);
  impl_->routes();
}

EditorServer::~EditorServer() { stop(); }

int EditorServer::bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host);
  } else {
    impl_->port = impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  if (impl_->port <= 0)
    throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                " (address in use or not available; try another --port)");
  return impl_->port;
}

void EditorServer::run() { impl_->http.listen_after_bind(); }

void EditorServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  // Wake every event stream first: httplib's stop() waits for its handler threads to return.
  impl_->sessions.close_all();
  impl_->http.stop();
}

}  // namespace draggan::server
