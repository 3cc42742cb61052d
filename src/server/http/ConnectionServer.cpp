#include "server/http/ConnectionServer.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "draggan/core/Log.h"
#include "server/http/BoundedSocketStream.h"

namespace draggan::server {
namespace {

// What the thread serving a request knows about it, for admit_body/close_after_response.
struct RequestContext {
  BoundedSocketStream* stream = nullptr;
  size_t admitted_body = 0;
  bool close = false;
};
thread_local RequestContext* current_request = nullptr;
// True while the accept thread itself runs a connection job: every connection thread is busy.
thread_local bool on_accept_thread = false;

// httplib's TaskQueue: a thread per connection, reused while there is work, at most `max_threads`. When all
// are busy the job runs on the accept thread, where the connection is refused at once.
class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(size_t max_threads) : max_threads_(max_threads) {}

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (idle_ > jobs_.size()) {
        jobs_.push_back(std::move(fn));
        job_ready_.notify_one();
        return;
      }
      if (threads_ < max_threads_ && !shutdown_) {
        ++threads_;
        std::thread(&ConnectionThreads::work, this, std::move(fn)).detach();
        return;
      }
    }
    on_accept_thread = true;
    fn();
    on_accept_thread = false;
  }

  void shutdown() override {
    std::unique_lock<std::mutex> lock(mutex_);
    shutdown_ = true;
    job_ready_.notify_all();
    all_done_.wait(lock, [this] { return threads_ == 0; });
  }

 private:
  void work(std::function<void()> job) {
    for (;;) {
      job();
      std::unique_lock<std::mutex> lock(mutex_);
      ++idle_;
      // An idle thread waits a while for the next connection, then goes (bursts do not leave hundreds).
      job_ready_.wait_for(lock, std::chrono::seconds(30), [this] { return !jobs_.empty() || shutdown_; });
      --idle_;
      if (jobs_.empty()) {
        --threads_;
        all_done_.notify_all();  // under the lock: the queue may be destroyed right after
        return;
      }
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
  }

  const size_t max_threads_;
  std::mutex mutex_;
  std::condition_variable job_ready_, all_done_;
  std::deque<std::function<void()>> jobs_;
  size_t threads_ = 0, idle_ = 0;
  bool shutdown_ = false;
};

constexpr char kBusyAnswer[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
    "Retry-After: 1\r\nContent-Length: 71\r\n\r\n"
    "{\"error\":\"the server has too many open connections; try again shortly\"}";

}  // namespace

ConnectionServer::ConnectionServer(ConnectionLimits limits) : limits_(limits) {
  // Threads beyond the cap serve connections that replace dropped ones (while those threads end) or refuse
  // the excess politely; the accept thread refuses beyond that.
  const size_t threads = limits_.max_connections + 64;
  new_task_queue = [threads] { return new ConnectionThreads(threads); };
  const auto seconds = [](std::chrono::milliseconds ms) { return static_cast<time_t>((ms.count() + 999) / 1000); };
  set_write_timeout(seconds(limits_.write_stall), 0);  // also SO_SNDTIMEO on accepted sockets
  set_read_timeout(seconds(limits_.read_stall), 0);
  set_keep_alive_timeout(seconds(limits_.keep_alive_idle));
}

void ConnectionServer::widen_backlog(int backlog) {
  const socket_t sock = svr_sock_;
  if (sock != INVALID_SOCKET) ::listen(sock, backlog);  // Linux updates the backlog of a listening socket
}

bool ConnectionServer::admit_body(size_t bytes) {
  RequestContext* request = current_request;
  if (!request || !request->stream) return false;
  for (size_t used = body_bytes_.load();;) {
    if (used + bytes > limits_.body_bytes_in_flight) return false;
    if (body_bytes_.compare_exchange_weak(used, used + bytes)) break;
  }
  request->admitted_body += bytes;
  request->stream->allow_more_bytes(bytes);
  return true;
}

void ConnectionServer::close_after_response() {
  if (current_request) current_request->close = true;
}

bool ConnectionServer::client_gone() {
  if (!current_request || !current_request->stream) return false;
  pollfd p{current_request->stream->socket(), POLLIN | POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLIN));
}

void ConnectionServer::refuse_connection(socket_t sock) {
  // Never blocks: the accept thread may be the one writing.
  ::send(sock, kBusyAnswer, sizeof kBusyAnswer - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

bool ConnectionServer::process_and_close_socket(socket_t sock) {
  struct OpenCount {
    std::atomic<size_t>& open;
    size_t before;
    explicit OpenCount(std::atomic<size_t>& o) : open(o), before(o.fetch_add(1)) {}
    ~OpenCount() { open.fetch_sub(1); }
  } count(open_);
  if (on_accept_thread || (count.before >= limits_.max_connections && !drop_a_waiting_connection())) {
    log::warn("refusing a connection: ", count.before, " are open (limit ", limits_.max_connections, ")");
    refuse_connection(sock);
    return false;
  }

  BoundedSocketStream stream(sock, limits_.read_stall, limits_.write_stall);
  struct Registration {
    ConnectionServer& server;
    socket_t sock;
    Registration(ConnectionServer& s, socket_t k, const BoundedSocketStream* stream) : server(s), sock(k) {
      std::lock_guard<std::mutex> lock(server.streams_mutex_);
      server.streams_[sock] = stream;
    }
    ~Registration() {  // before the socket is closed: a dropper never shuts down a reused descriptor
      std::lock_guard<std::mutex> lock(server.streams_mutex_);
      server.streams_.erase(sock);
    }
  };
  std::optional<Registration> registration;
  registration.emplace(*this, sock, &stream);
  const auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
  bool ok = true;
  for (size_t left = keep_alive_max_count_; left > 0 && ok && !stopping(); --left) {
    if (!stream.wait_for_request(limits_.keep_alive_idle, stopping)) break;
    RequestContext request;
    request.stream = &stream;
    current_request = &request;
    stream.begin_request(limits_.request_arrival, limits_.header_bytes);
    bool connection_closed = false;
    ok = process_request(stream, left == 1, connection_closed, nullptr);
    current_request = nullptr;
    body_bytes_.fetch_sub(request.admitted_body);
    if (*stream.read_failure()) {
      log::debug("connection dropped: ", stream.read_failure());
      break;  // what is left of the request is still in the socket
    }
    if (connection_closed) break;
    if (request.close) {
      registration.reset();
      linger_close(sock);
      return ok;
    }
  }
  registration.reset();
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

bool ConnectionServer::drop_a_waiting_connection() {
  const int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  const int64_t patience = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::seconds(2)).count();
  std::lock_guard<std::mutex> lock(streams_mutex_);
  socket_t victim = INVALID_SOCKET;
  int64_t oldest = now - patience;
  for (const auto& [sock, stream] : streams_) {
    const int64_t since = stream->waiting_since();
    if (since != 0 && since < oldest) {
      oldest = since;
      victim = sock;
    }
  }
  if (victim == INVALID_SOCKET) return false;
  ::shutdown(victim, SHUT_RDWR);  // its thread sees the end of the connection and closes it
  streams_.erase(victim);         // not picked twice
  log::debug("dropped a connection that waited ", (now - oldest) / 1000000, " ms for its client, to serve a new one");
  return true;
}

void ConnectionServer::linger_close(socket_t sock) {
  // The client may still be sending the body that was refused: closing now would reset the connection and
  // lose the answer in flight. Say we are done writing, then drop what arrives for a moment.
  ::shutdown(sock, SHUT_WR);
  char scratch[16384];
  size_t dropped = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (dropped < (4u << 20) && std::chrono::steady_clock::now() < end) {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) break;
    const ssize_t n = ::recv(sock, scratch, sizeof scratch, 0);
    if (n <= 0) break;
    dropped += static_cast<size_t>(n);
  }
  ::close(sock);
}

}  // namespace draggan::server
