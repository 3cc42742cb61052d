// A one-line progress bar on stderr for long subcommands (project, train). Drawn only when stderr is a
// terminal, so logs and tests capture clean output; redrawn at most ~10 times a second.
#pragma once
#include <chrono>
#include <string>

namespace draggan::tools {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label, int total);
  ~ProgressBar();  // ends the line if one was drawn

  // Steps done so far (1..total) and a short status ("loss 0.0123").
  void update(int done, const std::string& status = "");
  void finish();

  static bool enabled();  // stderr is a terminal

 private:
  std::string label_;
  int total_;
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace draggan::tools
