// One accepted connection as httplib reads and writes it, with the bounds httplib 0.11 lacks: a request must
// arrive whole before a deadline (httplib restarts its read timeout at every byte, so a client trickling one
// byte every few seconds would hold a thread forever), a stall of a few seconds ends it, and a request may
// read only as many bytes as the server allowed (headers first; the body once its route has accepted its
// Content-Length; httplib's own header reader has no length limit). Answers have a deadline too: a client
// must take its answer at `AnswerPace` (a grace, then a minimum rate), except a long-lived event stream,
// whose pace EventQueue watches.
#pragma once
#include <httplib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>

namespace draggan::server {

struct AnswerPace {
  std::chrono::milliseconds grace{10000};  // any answer may take this long
  size_t min_bytes_per_second = 32 * 1024;  // and this much longer per byte beyond
};

class BoundedSocketStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  BoundedSocketStream(socket_t sock, std::chrono::milliseconds read_stall, std::chrono::milliseconds write_stall,
                      AnswerPace pace = {});

  // Waits up to `idle` for the next request's first byte (true) or the peer closing / `stop` turning true.
  bool wait_for_request(std::chrono::milliseconds idle, const std::function<bool()>& stop);
  // From now on reads fail after `arrival` and after `header_bytes` bytes, until allow_more_bytes().
  void begin_request(std::chrono::milliseconds arrival, size_t header_bytes);
  void allow_more_bytes(size_t bytes) {
    read_budget_ += bytes;
    recording_ = false;
  }
  // The request line and headers as the client sent them, recorded until the body is allowed: httplib's parser
  // silently drops what a strict reader must refuse (headers with empty values, lines without CRLF).
  const std::string& head() const { return head_; }
  // The answer being written is an event stream: no answer deadline; each write is judged on its own.
  void set_long_lived() { long_lived_ = true; }
  // Why the last read or write failed ("" when none did), for the log.
  const char* failure() const { return failure_; }
  const char* read_failure() const { return failure_; }
  // While the connection gives the server nothing: what it waits for, and since when (steady-clock ticks:
  // the idle wait's start, the request's start, the answer's start); Stall::none (since 0) while the server
  // handles the request or the client keeps up. Read from other threads to pick the connection to drop when
  // the server is full.
  enum class Stall : uint8_t { none, idle, request, answer };
  Stall stall() const { return stall_.load(); }
  int64_t stalled_since() const { return stalled_since_.load(); }
  // Whether a whole request has been read on this connection (an idle keep-alive after an answer is worth
  // more than a connection that never sent anything).
  bool served_any() const { return served_any_.load(); }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return sock_; }

 private:
  // Waits until the socket can be read within both the stall limit and the request deadline.
  bool wait_readable();
  // Waits until the socket takes more of the answer, within the stall limit and the answer's deadline.
  bool wait_writable();

  socket_t sock_;
  std::chrono::milliseconds read_stall_, write_stall_;
  AnswerPace pace_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point request_start_{};
  Clock::time_point answer_start_{};
  bool answering_ = false;  // a write happened since the request began
  bool long_lived_ = false;
  size_t answer_bytes_ = 0;
  size_t read_budget_ = 0;  // bytes the current request may still read
  std::string head_;
  bool recording_ = false;
  const char* failure_ = "";
  mutable std::atomic<int64_t> stalled_since_{0};
  mutable std::atomic<Stall> stall_{Stall::none};
  std::atomic<bool> served_any_{false};
  std::array<char, 8192> buffer_{};
  size_t buffered_begin_ = 0, buffered_end_ = 0;
};

}  // namespace draggan::server
