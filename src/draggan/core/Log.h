// One small logger: levels, printf-free streaming, written to stderr.
#pragma once
#include <sstream>
#include <string>

namespace draggan::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Quiet = 4 };

void set_level(Level level);
Level level();
void write(Level level, const std::string& message);

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& out, const T& first, const Rest&... rest) {
  out << first;
  append(out, rest...);
}
template <typename... Args>
void emit(Level lvl, const Args&... args) {
  if (lvl < level()) return;
  std::ostringstream out;
  append(out, args...);
  write(lvl, out.str());
}
}  // namespace detail

template <typename... Args> void debug(const Args&... a) { detail::emit(Level::Debug, a...); }
template <typename... Args> void info(const Args&... a) { detail::emit(Level::Info, a...); }
template <typename... Args> void warn(const Args&... a) { detail::emit(Level::Warn, a...); }
template <typename... Args> void error(const Args&... a) { detail::emit(Level::Error, a...); }

}  // namespace draggan::log
