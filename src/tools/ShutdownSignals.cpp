#include "ShutdownSignals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace draggan::tools {
namespace {

int wake_pipe[2] = {-1, -1};
std::atomic<int> signals_seen{0};

// Only async-signal-safe calls here: a counter, write(), _exit().
void on_signal(int signal) {
  if (signals_seen.fetch_add(1) > 0) _exit(128 + signal);  // the second one: no more waiting
  const char byte = static_cast<char>(signal);
  [[maybe_unused]] const ssize_t n = ::write(wake_pipe[1], &byte, 1);
}

}  // namespace

ShutdownSignals::ShutdownSignals() {
  if (::pipe2(wake_pipe, O_CLOEXEC) != 0) wake_pipe[0] = wake_pipe[1] = -1;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

ShutdownSignals::~ShutdownSignals() {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
}

int ShutdownSignals::wait() {
  char byte = 0;
  ssize_t n;
  do {
    n = ::read(wake_pipe[0], &byte, 1);
  } while (n < 0 && errno == EINTR);
  return n == 1 ? static_cast<unsigned char>(byte) : 0;
}

void ShutdownSignals::wake() {
  const char byte = 0;
  [[maybe_unused]] const ssize_t n = ::write(wake_pipe[1], &byte, 1);
}

}  // namespace draggan::tools
