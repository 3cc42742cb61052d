// httplib's Server with the connection handling an editor needs when some clients are hostile:
//  - one thread per connection (ConnectionThreads), at most `max_connections` connections, shared fairly
//    between client addresses and taken from those that give least when a new client needs one
//    (ConnectionSlots has the rule);
//  - every request must arrive whole within `request_arrival`, reads stall out after `read_stall`, a request
//    reads only the bytes it was allowed, and an answer must be taken at a minimum pace (BoundedSocketStream);
//  - request bodies are admitted against one server-wide budget of bytes in flight before they are read;
//  - a listen backlog that absorbs bursts of parallel clients (httplib listens with a backlog of 5);
//  - a shutdown that stops accepting at once and gives requests in flight a deadline.
#pragma once
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>

#include "server/ThrottledLog.h"
#include "server/http/BoundedSocketStream.h"
#include "server/http/ConnectionSlots.h"

namespace draggan::server {

struct ConnectionLimits {
  SlotRules slots;
  size_t header_bytes = 64 * 1024;  // request line + headers
  size_t body_bytes_in_flight = 192u << 20;
  std::chrono::milliseconds request_arrival{30000};
  std::chrono::milliseconds read_stall{5000};
  std::chrono::milliseconds write_stall{10000};
  AnswerPace answer_pace;
  std::chrono::milliseconds keep_alive_idle{5000};
  // Called after a request whose body was at least `large_body` bytes (the server returns freed memory).
  size_t large_body = 1u << 20;
  std::function<void()> after_large_body;
};

class ConnectionServer : public httplib::Server {
 public:
  explicit ConnectionServer(ConnectionLimits limits);

  // Call after bind_to_port / bind_to_any_port.
  void widen_backlog(int backlog);
  // Shutdown: closes the listening socket (new connections are refused by the system), lets each connection
  // finish the request it is on, and at `deadline` shuts down the sockets of those still busy. listen() then
  // returns; unfinished() says how many connection threads had not ended 3 s after that.
  void stop_accepting(std::chrono::steady_clock::time_point deadline);
  size_t unfinished() const { return unfinished_.load(); }

  // On the thread serving a request (its pre-routing check or handler): lets the request read `bytes` of
  // body. False, with nothing reserved, when the bodies already being received leave no room.
  bool admit_body(size_t bytes);
  // The connection closes after the current answer (a refused body is never read, so the stream would not
  // be at the next request).
  static void close_after_response();
  // On the thread writing a streamed answer: true when the client has closed its end (an event-stream client
  // sends nothing after its request, so anything readable is the end of the connection).
  static bool client_gone();
  // On a request's thread: true when the client has closed its end or reset the connection (pipelined
  // requests, unlike for client_gone, are not taken for an end).
  static bool client_hung_up();
  // On a request's thread, before its body is read: its request line and headers as sent.
  static const std::string& request_head();
  // On the thread of a request whose answer is an event stream: no answer deadline (BoundedSocketStream).
  static void answer_is_long_lived();

  size_t open_connections() const { return slots_.open(); }
  const ConnectionLimits& limits() const { return limits_; }

 private:
  bool process_and_close_socket(socket_t sock) override;
  void serve(socket_t sock, BoundedSocketStream& stream);
  void refuse_connection(socket_t sock, const std::string& why);
  void linger_close(socket_t sock);

  ConnectionLimits limits_;
  ConnectionSlots slots_;
  std::atomic<size_t> body_bytes_{0};
  std::atomic<std::chrono::steady_clock::time_point> stop_deadline_{std::chrono::steady_clock::time_point::max()};
  std::atomic<size_t> unfinished_{0};
  ThrottledLog refusals_{"refused connections"};
};

}  // namespace draggan::server
