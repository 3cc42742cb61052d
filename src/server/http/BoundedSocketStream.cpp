#include "server/http/BoundedSocketStream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace draggan::server {
namespace {

using std::chrono::milliseconds;

// poll() for one socket: > 0 the revents, 0 timeout, < 0 error.
int poll_socket(socket_t sock, short events, milliseconds timeout) {
  pollfd p{sock, events, 0};
  const int ms = static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, INT_MAX));
  int rc;
  do {
    rc = ::poll(&p, 1, ms);
  } while (rc < 0 && errno == EINTR);
  return rc <= 0 ? rc : p.revents;
}

void address_of(const sockaddr_storage& address, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    port = ntohs(a.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    port = ntohs(a.sin6_port);
  }
  ip = text;
}

}  // namespace

BoundedSocketStream::BoundedSocketStream(socket_t sock, milliseconds read_stall, milliseconds write_stall,
                                         AnswerPace pace)
    : sock_(sock), read_stall_(read_stall), write_stall_(write_stall), pace_(pace) {}

namespace {

int64_t ticks(BoundedSocketStream::Clock::time_point t) { return std::max<int64_t>(1, t.time_since_epoch().count()); }

// Marks the stream as giving the server nothing, since `since`, while it lives.
struct Stalled {
  using Stall = BoundedSocketStream::Stall;
  Stalled(std::atomic<Stall>& kind, std::atomic<int64_t>& since, Stall what, BoundedSocketStream::Clock::time_point t)
      : kind_(kind), since_(since) {
    since_ = ticks(t);
    kind_ = what;
  }
  ~Stalled() {
    kind_ = Stall::none;
    since_ = 0;
  }
  std::atomic<Stall>& kind_;
  std::atomic<int64_t>& since_;
};

}  // namespace

bool BoundedSocketStream::wait_for_request(milliseconds idle, const std::function<bool()>& stop) {
  if (request_start_ != Clock::time_point{}) served_any_ = true;  // a request came before this one
  if (buffered_begin_ < buffered_end_) return true;  // a pipelined request is already here
  const auto start = Clock::now();
  const Stalled stalled(stall_, stalled_since_, Stall::idle, start);
  const auto end = start + idle;
  // In slices, so that a server shutting down does not wait for every idle keep-alive connection.
  while (!stop()) {
    const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now());
    if (left.count() <= 0) return false;
    const int rc = poll_socket(sock_, POLLIN, std::min(left, milliseconds(100)));
    if (rc < 0) return false;
    if (rc > 0) return true;  // data, or the peer closed (the request reader then sees the end)
  }
  return false;
}

void BoundedSocketStream::begin_request(milliseconds arrival, size_t header_bytes) {
  request_start_ = Clock::now();
  deadline_ = request_start_ + arrival;
  read_budget_ = header_bytes;
  head_.clear();
  recording_ = true;
  answering_ = false;
  failure_ = "";
}

bool BoundedSocketStream::wait_readable() {
  // A request trickling in counts from its start, however recent its last byte.
  const Stalled stalled(stall_, stalled_since_, Stall::request, request_start_);
  const auto now = Clock::now();
  if (now >= deadline_) {
    failure_ = "the request did not arrive in time";
    return false;
  }
  const auto to_deadline = std::chrono::duration_cast<milliseconds>(deadline_ - now) + milliseconds(1);
  const int rc = poll_socket(sock_, POLLIN, std::min(read_stall_, to_deadline));
  if (rc == 0) failure_ = to_deadline < read_stall_ ? "the request did not arrive in time" : "the client stalled";
  return rc > 0;
}

bool BoundedSocketStream::wait_writable() {
  milliseconds limit = write_stall_;
  if (!long_lived_) {
    // The answer's deadline: the grace, and more time the more it has taken already.
    const auto allowed = pace_.grace + milliseconds(answer_bytes_ * 1000 / std::max<size_t>(1, pace_.min_bytes_per_second));
    const auto left = std::chrono::duration_cast<milliseconds>(answer_start_ + allowed - Clock::now());
    if (left.count() <= 0) {
      failure_ = "the client takes its answer too slowly";
      return false;
    }
    limit = std::min(limit, left);
  }
  const Stalled stalled(stall_, stalled_since_, Stall::answer, answer_start_);
  const int rc = poll_socket(sock_, POLLOUT, limit);
  if (rc == 0) failure_ = limit < write_stall_ ? "the client takes its answer too slowly" : "the client stopped reading";
  return rc > 0 && !(rc & (POLLERR | POLLHUP | POLLNVAL));
}

bool BoundedSocketStream::is_readable() const {
  return buffered_begin_ < buffered_end_ || poll_socket(sock_, POLLIN, read_stall_) > 0;
}

bool BoundedSocketStream::is_writable() const {
  // httplib asks before each piece of a streamed answer; write() does the waiting.
  const int rc = poll_socket(sock_, POLLOUT, milliseconds(0));
  return rc >= 0 && !(rc & (POLLERR | POLLHUP | POLLNVAL));
}

ssize_t BoundedSocketStream::read(char* ptr, size_t size) {
  if (size == 0) return 0;
  answering_ = false;  // an interim answer (100 Continue) was written before the body: the answer starts later
  if (read_budget_ == 0) {
    failure_ = "the request is larger than allowed";
    return -1;
  }
  size = std::min(size, read_budget_);
  if (buffered_begin_ == buffered_end_) {
    if (!wait_readable()) return -1;
    ssize_t n;
    do {
      n = ::recv(sock_, buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;  // 0: the peer closed
    buffered_begin_ = 0;
    buffered_end_ = static_cast<size_t>(n);
  }
  const size_t n = std::min(size, buffered_end_ - buffered_begin_);
  std::memcpy(ptr, buffer_.data() + buffered_begin_, n);
  if (recording_) head_.append(ptr, n);
  buffered_begin_ += n;
  read_budget_ -= n;
  return static_cast<ssize_t>(n);
}

ssize_t BoundedSocketStream::write(const char* ptr, size_t size) {
  if (long_lived_ || !answering_) {  // an event stream's every piece is judged on its own
    answering_ = true;
    answer_start_ = Clock::now();
    answer_bytes_ = 0;
  }
  for (;;) {
    // Never blocks inside send(): a client that does not read is noticed here, between waits.
    const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      answer_bytes_ += static_cast<size_t>(n);
      return n;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      failure_ = "the client closed the connection";
      return -1;
    }
    if (!wait_writable()) return -1;
  }
}

void BoundedSocketStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) address_of(address, ip, port);
}

void BoundedSocketStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&address), &length) == 0) address_of(address, ip, port);
}

}  // namespace draggan::server
