// Clients that read their answers slowly, for the load tests (Node cannot shrink a socket's receive buffer):
// `count` connections to 127.0.0.1:`port`, each with a receive buffer of `read_bytes`, send `request` (with
// "\r\n" escapes) `repeat` times, then read at most `read_bytes` from each every `interval_ms`; a connection
// the server closes is opened again. After `duration_ms` (or on SIGTERM) it prints {"connects": N, "bytes": N}.
//   slow_clients PORT COUNT REPEAT READ_BYTES INTERVAL_MS DURATION_MS REQUEST
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_term(int) { stop_requested = 1; }

std::string unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'r' || text[i + 1] == 'n')) {
      out += text[++i] == 'r' ? '\r' : '\n';
    } else {
      out += text[i];
    }
  }
  return out;
}

// A non-blocking connection with a small receive buffer that has sent (part of) its requests.
struct Client {
  int fd = -1;
  size_t sent = 0;
};

int open_connection(int port, int receive_buffer) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);  // before connect: the window
  // Non-blocking from the start: a server whose backlog is full never holds the loop (or SIGTERM) in connect().
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: slow_clients PORT COUNT REPEAT READ_BYTES INTERVAL_MS DURATION_MS REQUEST\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction term {};
  term.sa_handler = on_term;  // stop early, still printing the counts; no SA_RESTART: the sleep ends at once
  ::sigaction(SIGTERM, &term, nullptr);
  const int port = std::atoi(argv[1]), count = std::atoi(argv[2]), repeat = std::atoi(argv[3]);
  const int read_bytes = std::atoi(argv[4]);
  const auto interval = std::chrono::milliseconds(std::atoi(argv[5]));
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::atoi(argv[6]));
  std::string request;
  const std::string one = unescape(argv[7]);
  for (int i = 0; i < repeat; ++i) request += one;

  std::vector<Client> clients(count);
  long connects = 0, bytes = 0;
  std::vector<char> buffer(read_bytes > 0 ? read_bytes : 1);
  while (!stop_requested && std::chrono::steady_clock::now() < end) {
    for (auto& c : clients) {
      if (c.fd < 0) {
        c.fd = open_connection(port, read_bytes);
        c.sent = 0;
        if (c.fd >= 0) ++connects;
        continue;
      }
      if (c.sent < request.size()) {  // EAGAIN while still connecting, or while the server does not read
        const ssize_t n = ::send(c.fd, request.data() + c.sent, request.size() - c.sent, MSG_NOSIGNAL);
        if (n > 0) c.sent += static_cast<size_t>(n);
      }
      const ssize_t n = ::recv(c.fd, buffer.data(), buffer.size(), 0);
      if (n > 0) bytes += n;
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {  // closed or refused
        ::close(c.fd);
        c.fd = -1;
      }
    }
    if (!stop_requested) ::usleep(static_cast<useconds_t>(interval.count() * 1000));  // EINTR on SIGTERM
  }
  for (auto& c : clients)
    if (c.fd >= 0) ::close(c.fd);
  std::printf("{\"connects\": %ld, \"bytes\": %ld}\n", connects, bytes);
  return 0;
}
