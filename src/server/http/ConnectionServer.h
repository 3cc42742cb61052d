// httplib's Server with the connection handling an editor needs when some clients are hostile:
//  - one thread per connection, so event streams, slow uploads and idle keep-alive connections never hold
//    the threads other requests need (httplib's pool is fixed: 32 open event streams answered nobody else);
//    at most `max_connections` at once. A new connection beyond that drops the one that has waited longest
//    (more than 2 s) for its client to send a request (an idle keep-alive, a trickling body): slow clients
//    cannot crowd out a fresh one. Only when none is waiting is the new one refused with a short 503;
//  - every request must arrive whole within `request_arrival`, reads stall out after `read_stall`, and a
//    request reads only the bytes it was allowed (BoundedSocketStream);
//  - request bodies are admitted against one server-wide budget of bytes in flight before they are read;
//  - a listen backlog that absorbs bursts of parallel clients (httplib listens with a backlog of 5).
#pragma once
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>

namespace draggan::server {

class BoundedSocketStream;

struct ConnectionLimits {
  size_t max_connections = 256;
  size_t header_bytes = 64 * 1024;  // request line + headers
  size_t body_bytes_in_flight = 192u << 20;
  std::chrono::milliseconds request_arrival{30000};
  std::chrono::milliseconds read_stall{5000};
  std::chrono::milliseconds write_stall{10000};
  std::chrono::milliseconds keep_alive_idle{5000};
};

class ConnectionServer : public httplib::Server {
 public:
  explicit ConnectionServer(ConnectionLimits limits);

  // Call after bind_to_port / bind_to_any_port.
  void widen_backlog(int backlog);

  // On the thread serving a request (its pre-routing check or handler): lets the request read `bytes` of
  // body. False, with nothing reserved, when the bodies already being received leave no room.
  bool admit_body(size_t bytes);
  // The connection closes after the current answer (a refused body is never read, so the stream would not
  // be at the next request).
  static void close_after_response();
  // On the thread writing a streamed answer: true when the client has closed its end (an event-stream client
  // sends nothing after its request, so anything readable is the end of the connection).
  static bool client_gone();

  size_t open_connections() const { return open_.load(); }
  const ConnectionLimits& limits() const { return limits_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  // Shuts down the connection waiting longest for its client (its thread then ends it); false if none waits.
  bool drop_a_waiting_connection();
  void refuse_connection(socket_t sock);
  void linger_close(socket_t sock);

  ConnectionLimits limits_;
  std::atomic<size_t> open_{0};
  std::atomic<size_t> body_bytes_{0};
  std::mutex streams_mutex_;
  std::map<socket_t, const BoundedSocketStream*> streams_;  // every connection being served
};

}  // namespace draggan::server
