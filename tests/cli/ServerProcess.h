// A real `draggan serve --port 0` for the server tests: started as a child process, its port read from the
// URL it prints, its output kept, stopped with SIGTERM (SIGKILL after 10 s).
#pragma once
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace draggan::cli_test {

inline std::string test_model() {
  if (const char* env = std::getenv("DRAGGAN_TEST_MODEL"); env && *env) return env;
  return std::string(DRAGGAN_TEST_DATA) + "/tiny_sg2.pkl";
}

inline std::string shipped_model() { return std::string(DRAGGAN_SOURCE_DIR) + "/models/default.safetensors"; }

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra = {}, std::string model = test_model()) {
    using namespace std::chrono_literals;
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> args = {DRAGGAN_BINARY, "serve", "--model", model, "--port", "0", "--threads", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    // Keep draining the output so the server never blocks on a full pipe.
    reader_ = std::thread([this, fd = fds[0]] {
      char buf[4096];
      for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
        std::lock_guard<std::mutex> lock(mutex_);
        output_.append(buf, n);
      }
      close(fd);
    });
    const std::regex url(R"(http://127\.0\.0\.1:(\d+)/)");
    for (auto deadline = std::chrono::steady_clock::now() + 120s; std::chrono::steady_clock::now() < deadline;) {
      std::smatch m;
      const std::string out = output();
      if (std::regex_search(out, m, url)) {
        port_ = std::stoi(m[1]);
        return;
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) break;
      std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("draggan serve printed no URL:\n" + output());
  }
  ~ServerProcess() {
    using namespace std::chrono_literals;
    kill(pid_, SIGTERM);
    bool reaped = false;
    for (int i = 0; i < 100 && !reaped; ++i) {
      reaped = waitpid(pid_, nullptr, WNOHANG) == pid_;
      if (!reaped) std::this_thread::sleep_for(100ms);
    }
    if (!reaped) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    reader_.join();
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool alive() { return waitpid(pid_, nullptr, WNOHANG) == 0; }
  std::string output() {
    std::lock_guard<std::mutex> lock(mutex_);
    return output_;
  }
  // A line of /proc/<pid>/status in kB ("VmHWM": peak resident memory, "VmRSS": now); -1 if unreadable.
  long status_kb(const std::string& field) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::thread reader_;
  std::mutex mutex_;
  std::string output_;
};

}  // namespace draggan::cli_test
