// Log lines a client can cause (refused connections, refused decodes, cut streams) at most once per
// `period` for each kind: a flood writes a line every few seconds saying how many were left out, not one per
// refusal (issue 31: 59 000 lines in five minutes).
#pragma once
#include <chrono>
#include <mutex>
#include <string>

#include "draggan/core/Log.h"

namespace draggan::server {

class ThrottledLog {
 public:
  explicit ThrottledLog(std::string kind, std::chrono::seconds period = std::chrono::seconds(10))
      : kind_(std::move(kind)), period_(period) {}

  template <typename... Args>
  void warn(const Args&... args) {
    size_t left_out = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto now = std::chrono::steady_clock::now();
      if (written_ && now - last_ < period_) {
        ++left_out_;
        return;
      }
      written_ = true;
      last_ = now;
      left_out = left_out_;
      left_out_ = 0;
    }
    if (left_out > 0)
      log::warn(args..., " (", left_out, " more ", kind_, " since the last such line)");
    else
      log::warn(args...);
  }

 private:
  const std::string kind_;
  const std::chrono::seconds period_;
  std::mutex mutex_;
  bool written_ = false;
  std::chrono::steady_clock::time_point last_;
  size_t left_out_ = 0;
};

}  // namespace draggan::server
