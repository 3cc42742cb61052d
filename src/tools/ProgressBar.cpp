#include "ProgressBar.h"

#include <unistd.h>

#include <cstdio>

namespace draggan::tools {

bool ProgressBar::enabled() { return isatty(fileno(stderr)) != 0; }

ProgressBar::ProgressBar(std::string label, int total)
    : label_(std::move(label)), total_(total), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int done, const std::string& status) {
  if (!enabled() || total_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(static_cast<long long>(done) * kWidth / total_);
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double eta = done > 0 ? seconds * (total_ - done) / done : 0.0;
  std::fprintf(stderr, "\r%-10s [%s%s] %d/%d %5.1fs eta %5.1fs %s\033[K", label_.c_str(),
               std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(), done, total_, seconds,
               eta, status.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_ && !finished_) std::fputc('\n', stderr);
  finished_ = true;
}

}  // namespace draggan::tools
