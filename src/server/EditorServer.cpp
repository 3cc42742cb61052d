#include "server/EditorServer.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/core/Digest.h"
#include "server/http/ConnectionServer.h"
#include "server/codec/DecodeSlots.h"
#include "server/http/HttpError.h"
#include "server/http/JsonBody.h"
#include "server/codec/MaskCodec.h"
#include "server/http/RequestGuard.h"
#include "server/ServerLimits.h"
#include "server/FreedMemory.h"
#include "server/ThrottledLog.h"
#include "server/session/SessionManager.h"
#include "server/http/WebAssets.h"
#include "server/store/RedisSessionStore.h"
#include "server/store/StoreError.h"

namespace draggan::server {
namespace {

using Json = nlohmann::json;
using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

constexpr char kJson[] = "application/json";

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
    } catch (const StoreUnavailable& e) {
      send_json(res, {{"error", e.what()}, {"reason", e.reason}}, 503);
      res.set_header("Retry-After", "2");
    } catch (const SessionElsewhere& e) {
      send_json(res, {{"error", e.what()}, {"reason", e.reason}, {"replica", e.holder}}, 421);
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
  return parse_json_object(req.body, {limits::kJsonValues, limits::kJsonValues, limits::kJsonDocumentBytes},
                           "request body");
}

// On a request's thread: its client has closed the connection (a decode or parse for it is wasted work).
bool client_left() { return ConnectionServer::client_hung_up(); }

ConnectionLimits connection_limits(const ServerOptions& o, FreedMemory* freed) {
  ConnectionLimits l;
  l.slots.max_connections = o.max_connections;
  l.slots.max_per_address = o.max_connections_per_address;
  l.slots.connects_per_second = o.connects_per_second;
  l.slots.connect_burst = std::max(1.0, 2 * o.connects_per_second);
  l.body_bytes_in_flight = limits::kBodyBytesInFlight;
  l.request_arrival = o.request_timeout;
  l.read_stall = limits::kReadStall;
  l.write_stall = limits::kWriteStall;
  l.keep_alive_idle = limits::kKeepAliveIdle;
  l.answer_pace.grace = limits::kAnswerGrace;
  l.answer_pace.min_bytes_per_second = limits::kAnswerBytesPerSecond;
  l.after_large_body = [freed] { freed->soon(); };
  return l;
}

// The shared session store, when the server is one replica of several.
std::shared_ptr<SessionStore> make_store(const ServerOptions& o) {
  if (o.store_url.empty()) return nullptr;
  RedisStoreOptions r;
  r.endpoint = parse_redis_url(o.store_url);
  r.replica = o.replica;
  r.lease_ttl = o.lease_ttl;
  r.session_ttl = std::chrono::duration_cast<std::chrono::milliseconds>(o.session_timeout);
  r.blob_ttl = 2 * r.session_ttl;
  r.max_connections = 16;
  return std::make_shared<RedisSessionStore>(std::move(r));
}

SessionPolicy session_policy(const ServerOptions& o, std::shared_ptr<SessionStore> store) {
  SessionPolicy p;
  p.store = std::move(store);
  p.idle_window = o.session_idle;
  p.expiry = o.session_timeout;
  p.max_live = o.max_sessions;
  p.live_bytes = o.session_memory;
  p.spill_dir = o.spill_dir;
  p.spill_bytes = o.spill_bytes;
  p.ai_mark = o.ai_mark;
  p.hand_over = o.hand_over_session;
  return p;
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
  FreedMemory freed_memory;  // first: the connection server's callback uses it
  std::shared_ptr<ModelRegistry> models;
  ServerOptions options;
  std::shared_ptr<SessionStore> store;  // null without --store
  SessionManager sessions;
  ConnectionServer http;
  RequestGuard guard;
  DecodeSlots decodes{limits::kConcurrentDecodes, "the server is busy decoding other images; try the upload again shortly"};
  DecodeSlots large_json{1, "the server is busy reading other large session files; try again shortly"};
  std::atomic<size_t> event_streams{0};
  std::atomic<bool> stopping{false};
  ThrottledLog stream_cuts{"cut event streams"};
  int port = 0;

  Impl(std::shared_ptr<ModelRegistry> m, ServerOptions o)
      : models(m),
        options(std::move(o)),
        store(make_store(options)),
        sessions(m, session_policy(options, store)),
        http(connection_limits(options, &freed_memory)),
        guard(options.host, options.allowed_hosts) {}

  void session_route(const std::string& method, const std::string& suffix,
                     std::function<void(EditorSession&, const httplib::Request&, httplib::Response&)> fn) {
    const std::string pattern = "/api/sessions/([0-9a-zA-Z_-]+)" + suffix;
    Handler handler = guarded([this, fn](const httplib::Request& req, httplib::Response& res) {
      SessionManager::Lease session = sessions.get(req.matches[1]);  // open while the request runs
      if (store) res.set_header("X-Draggan-Session", session->id());
      fn(*session, req, res);
      sessions.save(session);  // with a store: committed before the answer goes out
    });
    if (method == "GET") http.Get(pattern, handler);
    else if (method == "POST") http.Post(pattern, handler);
    else if (method == "PUT") http.Put(pattern, handler);
    else if (method == "PATCH") http.Patch(pattern, handler);
    else if (method == "DELETE") http.Delete(pattern, handler);
  }

  void routes();
  void check_before_body();
  void serve_events(EditorSession& session, httplib::Response& res);
};

// Every request passes the guard before its body is read. A refused request closes its connection after the
// answer: a refused body is never read (the stream would not be at the next request), and a client that sent
// a foreign, duplicated or malformed header is not one to keep talking to.
void EditorServer::Impl::check_before_body() {
  http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // HTTP/1.1: a request with neither Content-Length nor Transfer-Encoding has no body, but httplib 0.11 reads
    // one until the client closes (`curl -X POST` without -d would wait for the request timeout). The request
    // object is httplib's own, non-const; only the handler's view of it is const.
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
      const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    try {
      RequestGuard::check_head(ConnectionServer::request_head());
      const size_t body = guard.check(req);
      if (body > 0 && !http.admit_body(body))
        throw HttpError(503, "the server is receiving too many request bodies at once; try again shortly");
      // One allocation of the announced size (httplib would grow the string by doubling: up to twice the body).
      if (body > 0) const_cast<httplib::Request&>(req).body.reserve(body);
      return httplib::Server::HandlerResponse::Unhandled;
    } catch (const HttpError& e) {
      send_error(res, e.status, e.what());
      if (e.status == 503) res.set_header("Retry-After", "1");
    }
    ConnectionServer::close_after_response();
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  });
  // A client that asks before sending a large body (curl: Expect: 100-continue) gets the refusal instead of
  // the go-ahead.
  http.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    try {
      RequestGuard::check_head(ConnectionServer::request_head());
      guard.check(req);
      return 100;
    } catch (const HttpError& e) {
      send_error(res, e.status, e.what());
      res.set_header("Connection", "close");
      ConnectionServer::close_after_response();
      return e.status;
    }
  });
}

void EditorServer::Impl::routes() {
  http.Get("/api/models", guarded([this](const httplib::Request&, httplib::Response& res) {
    send_json(res, models->describe());
  }));
  http.Get("/api/status", guarded([this](const httplib::Request&, httplib::Response& res) {
    const SessionManager::Counts c = sessions.counts();
    send_json(res, {{"sessions", {{"in_memory", c.live}, {"on_disk", c.spilled}, {"memory_bytes", c.live_bytes},
                                  {"disk_bytes", c.spill_bytes}, {"max_in_memory", options.max_sessions}}},
                    {"event_streams", event_streams.load()},
                    {"max_event_streams", options.max_event_streams},
                    {"connections", http.open_connections()},
                    {"max_connections", options.max_connections},
                    {"replica", options.replica},
                    {"store", store ? Json{{"url", store->describe()}, {"up", store->up()}} : Json(nullptr)}});
  }));
  http.Get("/healthz", guarded([](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    send_json(res, {{"alive", true}});
  }));
  http.Get("/readyz", guarded([this](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    std::string why;
    if (stopping) why = "shutting down";
    else if (!sessions.ready(why) && why.empty()) why = "not ready";
    if (why.empty()) return send_json(res, {{"ready", true}});
    send_json(res, {{"ready", false}, {"error", why}}, 503);
    res.set_header("Retry-After", "2");
  }));
  http.Post("/api/sessions", guarded([this](const httplib::Request& req, httplib::Response& res) {
    const Json request = parse_body(req);
    SessionManager::Lease session = sessions.create(request);
    if (store) res.set_header("X-Draggan-Session", session->id());
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
    freed_memory.soon();
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
    if (media_type(req.get_header_value("Content-Type")).rfind("image/", 0) == 0) {
      // Checked against the model's size from the header, then decoded.
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
  session_route("POST", "/upload", [this](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
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
        throw InputError(std::string("upload: \"") + key + "\" must be an integer, got \"" + text.substr(0, 40) + "\"");
      }
    }
    torch::Tensor photo;
    {
      DecodeSlots::Slot slot = decodes.acquire(limits::kDecodeWait, client_left);
      photo = s.fit_photo(req.body, req.get_param_value("name"), {limits::kUploadSide, limits::kUploadPixels},
                          client_left);
    }
    freed_memory.soon();  // the full-size decode is gone
    s.upload(photo, options, sha256_hex(req.body));  // the photo's hash goes into the images' provenance
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
  session_route("POST", "/load", [this](EditorSession& s, const httplib::Request& req, httplib::Response& res) {
    Json document;
    {
      std::optional<DecodeSlots::Slot> slot;  // large documents one at a time
      if (req.body.size() > limits::kLargeJsonBytes) slot.emplace(large_json.acquire(limits::kLargeJsonWait, client_left));
      document = parse_json_object(req.body,
                                   {limits::kSessionFileJsonValues, limits::kSessionFileJsonStrings,
                                    limits::kSessionFileDocumentBytes},
                                   "session file");
    }
    s.load(document);
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

  // Errors httplib answers itself (no route, a request it could not read) are JSON with a reason too.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    // httplib's own answer to a request it could not read or route: what follows on the connection is not
    // known to be a request, so nothing more is read from it (one malformed request, one answer).
    if (res.status != 404) {
      ConnectionServer::close_after_response();
      res.set_header("Connection", "close");
    }
    const std::string route = req.method + " " + req.path.substr(0, 200);
    if (res.status == 404 || res.status == 405) send_error(res, res.status, "no route for " + route);
    else if (res.status == 413) send_error(res, 413, "request body too large for " + route);
    else if (res.status == 400) send_error(res, 400, "malformed or incomplete request: " + route);
    else send_error(res, res.status, "HTTP " + std::to_string(res.status) + " for " + route);
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
  // Each stream holds a connection thread for as long as the page is open: capped in all and per session.
  if (event_streams.fetch_add(1) >= options.max_event_streams) {
    event_streams.fetch_sub(1);
    throw HttpError(429, "too many event streams are open (" + std::to_string(options.max_event_streams) +
                             "); close other editor tabs or scripts");
  }
  std::shared_ptr<EventQueue> queue;
  try {
    queue = session.subscribe(limits::kEventStreamsPerSession);  // queues the current state first
  } catch (...) {
    event_streams.fetch_sub(1);
    throw;
  }
  ConnectionServer::answer_is_long_lived();
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // proxies (nginx) must not buffer the stream
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, queue, quiet = 0, first = true](size_t, httplib::DataSink& sink) mutable {
        // Called again after each return true: wait for one event, noticing within a second a tab that was
        // closed (its slot is then free again), with a keep-alive comment after 10 quiet seconds. Behind a load
        // balancer (a store): every 2 s, so that a proxy's idle timeout can tell a frozen replica from a quiet
        // stream, and a reconnect delay of 1 s for the page when a replica goes away.
        if (first && store) {
          first = false;
          if (!sink.write("retry: 1000\n\n", 13)) return false;
        }
        const int heartbeat = store ? 2 : 10;
        EventFrame frame;
        if (stopping || queue->closed()) {
          std::string reason = queue->cut_reason();
          // Closed, not cut: what was published before (a drag's "done") still goes out.
          if (reason.empty() && queue->pop(frame, std::chrono::milliseconds(0)))
            return sink.write(frame->data(), frame->size());
          if (!reason.empty()) stream_cuts.warn("event stream of a session cut: ", reason);
          else reason = stopping ? "the server is shutting down" : "the session was closed";
          // The last word: why the stream ends, and to reconnect soon (the page then gets the current state).
          const std::string last = "retry: 1000\n" + EventHub::format("end", {{"reason", reason}});
          sink.write(last.data(), last.size());
          sink.done();
          return true;
        }
        if (!queue->pop(frame, std::chrono::seconds(1))) {
          if (ConnectionServer::client_gone()) return false;
          if (++quiet < heartbeat) return true;
          frame = std::make_shared<const std::string>(": keep-alive\n\n");
        }
        quiet = 0;
        return sink.write(frame->data(), frame->size());
      },
      [this, queue](bool) {
        queue->close();
        event_streams.fetch_sub(1);
        freed_memory.soon();
      });
}

EditorServer::EditorServer(std::shared_ptr<ModelRegistry> models, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(models), std::move(options))) {
  impl_->http.set_payload_max_length(limits::kSessionFileBytes);  // the guard admits less on most routes
  impl_->http.set_keep_alive_max_count(1000);
  if (!impl_->options.replica.empty()) impl_->http.set_default_headers({{"X-Draggan-Replica", impl_->options.replica}});
  // Sessions name their model by content: hash the default one now rather than in the first commit.
  if (impl_->store) impl_->models->sha256(impl_->models->default_id());
  impl_->check_before_body();
  impl_->routes();
}

EditorServer::~EditorServer() {
  stop();
  impl_->sessions.finish_shutdown();
}

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
  impl_->http.widen_backlog(1024);
  impl_->guard.set_port(impl_->port);
  log::info("answering to Host ", impl_->guard.describe_hosts(), " on port ", impl_->port);
  return impl_->port;
}

bool EditorServer::run() {
  if (!impl_->stopping) impl_->http.listen_after_bind();
  // Every connection has ended (or was cut): no request holds a session any more.
  impl_->sessions.finish_shutdown();
  return impl_->http.unfinished() == 0;
}

void EditorServer::shutdown(std::chrono::milliseconds grace) {
  if (impl_->stopping.exchange(true)) return;
  impl_->http.stop_accepting(std::chrono::steady_clock::now() + grace);
  // Event streams see `stopping` within a second and end; a drag ends after the step it is on.
  impl_->sessions.begin_shutdown();
}

}  // namespace draggan::server
