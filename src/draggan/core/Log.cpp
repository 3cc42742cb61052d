#include "draggan/core/Log.h"

#include <atomic>
#include <iostream>
#include <mutex>

namespace draggan::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::mutex g_mutex;
const char* tag(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
    default: return "";
  }
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

void write(Level lvl, const std::string& message) {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::cerr << "[" << tag(lvl) << "] " << message << '\n';
}

}  // namespace draggan::log
