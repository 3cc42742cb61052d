// Ctrl-C and SIGTERM for a long-running subcommand (`draggan serve`): the first one asks for a clean shutdown,
// a second one ends the process at once. A handler, not a blocked signal mask: the signal may be delivered to
// any thread, including the ones LibTorch started before the subcommand ran (those never blocked it, so
// SIGTERM used to kill the server outright).
#pragma once

namespace draggan::tools {

class ShutdownSignals {
 public:
  // Installs the handlers (SIGINT, SIGTERM). One instance per process.
  ShutdownSignals();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Blocks until the first signal (its number) or wake() (0).
  int wait();
  // Ends a wait() without a signal (the server stopped for another reason).
  void wake();
};

}  // namespace draggan::tools
