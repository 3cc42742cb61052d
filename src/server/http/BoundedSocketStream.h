// One accepted connection as httplib reads and writes it, with the bounds httplib 0.11 lacks: a request must
// arrive whole before a deadline (httplib restarts its read timeout at every byte, so a client trickling one
// byte every few seconds would hold a thread forever), a stall of a few seconds ends it, and a request may
// read only as many bytes as the server allowed (headers first; the body once its route has accepted its
// Content-Length; httplib's own header reader has no length limit).
#pragma once
#include <httplib.h>

#include <array>
#include <atomic>
#include <chrono>
#include <string>

namespace draggan::server {

class BoundedSocketStream : public httplib::Stream {
 public:
  using Clock = std::chrono::steady_clock;

  BoundedSocketStream(socket_t sock, std::chrono::milliseconds read_stall, std::chrono::milliseconds write_stall);

  // Waits up to `idle` for the next request's first byte (true) or the peer closing / `stop` turning true.
  bool wait_for_request(std::chrono::milliseconds idle, const std::function<bool()>& stop);
  // From now on reads fail after `arrival` and after `header_bytes` bytes, until allow_more_bytes().
  void begin_request(std::chrono::milliseconds arrival, size_t header_bytes);
  void allow_more_bytes(size_t bytes) { read_budget_ += bytes; }
  // Why the last read failed ("" when none did), for the log.
  const char* read_failure() const { return failure_; }
  // While the connection waits for the client (an idle keep-alive, a request still arriving): since when the
  // idle wait or the current request began (steady-clock ticks); 0 while the server handles or answers.
  // Read from other threads to pick the connection to drop when the server is full.
  int64_t waiting_since() const { return waiting_.load() ? since_.load() : 0; }

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

  socket_t sock_;
  std::chrono::milliseconds read_stall_, write_stall_;
  Clock::time_point deadline_ = Clock::time_point::max();
  size_t read_budget_ = 0;  // bytes the current request may still read
  const char* failure_ = "";
  std::atomic<int64_t> since_{0};
  std::atomic<bool> waiting_{false};
  std::array<char, 8192> buffer_{};
  size_t buffered_begin_ = 0, buffered_end_ = 0;
};

}  // namespace draggan::server
