#include "server/http/ConnectionServer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "draggan/core/Log.h"
#include "server/ThrottledLog.h"
#include "server/http/ConnectionThreads.h"

namespace draggan::server {
namespace {

// What the thread serving a request knows about it, for admit_body/close_after_response.
struct RequestContext {
  BoundedSocketStream* stream = nullptr;
  size_t admitted_body = 0;
  bool close = false;
};
thread_local RequestContext* current_request = nullptr;

constexpr char kBusyAnswer[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
    "Retry-After: 1\r\nContent-Length: 71\r\n\r\n"
    "{\"error\":\"the server has too many open connections; try again shortly\"}";

// The client's address (without port), the key of the per-address rules.
std::string peer_address(socket_t sock) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  char text[INET6_ADDRSTRLEN] = "";
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  if (address.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr, text, sizeof text);
  else if (address.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text, sizeof text);
  return text;
}

}  // namespace

ConnectionServer::ConnectionServer(ConnectionLimits limits) : limits_(limits), slots_(limits.slots) {
  // Threads beyond the cap serve connections that replace dropped ones (while those threads end) or refuse
  // the excess politely; the accept thread refuses beyond that.
  const size_t threads = limits_.slots.max_connections + 64;
  new_task_queue = [this, threads] {
    ConnectionThreads::Shutdown shutdown;
    shutdown.deadline = [this] { return stop_deadline_.load(); };
    shutdown.cut_connections = [this] {
      if (const size_t n = slots_.cut_all()) log::warn("shutdown: cut ", n, " connection(s) still busy");
    };
    shutdown.threads_left = [this](size_t left) { unfinished_ = left; };
    return new ConnectionThreads(threads, std::move(shutdown));
  };
  const auto seconds = [](std::chrono::milliseconds ms) { return static_cast<time_t>((ms.count() + 999) / 1000); };
  set_read_timeout(seconds(limits_.read_stall), 0);  // SO_RCVTIMEO on accepted sockets (reads also poll first)
  set_keep_alive_timeout(seconds(limits_.keep_alive_idle));
}

void ConnectionServer::stop_accepting(std::chrono::steady_clock::time_point deadline) {
  stop_deadline_ = deadline;
  // httplib's stop() does this only once listen() runs; a signal may come earlier.
  const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock != INVALID_SOCKET) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
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

bool ConnectionServer::client_hung_up() {
  if (!current_request || !current_request->stream) return false;
  pollfd p{current_request->stream->socket(), POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

const std::string& ConnectionServer::request_head() {
  static const std::string none;
  return current_request && current_request->stream ? current_request->stream->head() : none;
}

void ConnectionServer::answer_is_long_lived() {
  if (current_request && current_request->stream) current_request->stream->set_long_lived();
}

void ConnectionServer::refuse_connection(socket_t sock, const std::string& why) {
  refusals_.warn("refusing a connection: ", why);
  // Never blocks: the accept thread may be the one writing.
  ::send(sock, kBusyAnswer, sizeof kBusyAnswer - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
}

bool ConnectionServer::process_and_close_socket(socket_t sock) {
  if (ConnectionThreads::on_accept_thread()) {
    refuse_connection(sock, "every connection thread is busy");
    return false;
  }
  BoundedSocketStream stream(sock, limits_.read_stall, limits_.write_stall, limits_.answer_pace);
  std::string refusal;
  if (!slots_.admit(sock, peer_address(sock), &stream, refusal)) {
    refuse_connection(sock, refusal);
    return false;
  }
  serve(sock, stream);  // releases the slot
  return true;
}

void ConnectionServer::serve(socket_t sock, BoundedSocketStream& stream) {
  const auto stopping = [this] { return svr_sock_ == INVALID_SOCKET; };
  bool linger = false;
  for (size_t left = keep_alive_max_count_; left > 0 && !stopping(); --left) {
    if (!stream.wait_for_request(limits_.keep_alive_idle, stopping)) break;
    RequestContext request;
    request.stream = &stream;
    current_request = &request;
    stream.begin_request(limits_.request_arrival, limits_.header_bytes);
    bool connection_closed = false;
    const bool ok = process_request(stream, left == 1, connection_closed, nullptr);
    current_request = nullptr;
    body_bytes_.fetch_sub(request.admitted_body);
    if (request.admitted_body >= limits_.large_body && limits_.after_large_body) limits_.after_large_body();
    if (*stream.failure()) {
      log::debug("connection dropped: ", stream.failure());
      break;  // what is left of the request is still in the socket, or the answer could not be written
    }
    if (!ok || connection_closed) break;
    if (request.close) {
      linger = true;
      break;
    }
  }
  slots_.release(sock);  // before the socket is closed: a dropper never shuts down a reused descriptor
  if (linger) return linger_close(sock);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
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
