// Real `draggan` processes for the distributed tests: each rank (or a torchrun launcher) is a child process
// with its own environment and its output in a file; every child is killed and reaped when the test ends,
// whatever happened.
#pragma once
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace draggan::dist_test {

namespace fs = std::filesystem;

inline fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("draggan_dist_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A port nobody listens on right now (the kernel's choice), for a rendezvous store.
inline int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// Splits on spaces (the tests' arguments have none inside).
inline std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

class Processes {
 public:
  struct Child {
    pid_t pid = -1;
    fs::path log;
    std::optional<int> exit_code;  // set once reaped; -signal when killed by one
  };

  ~Processes() {
    for (Child& c : children_) {
      kill(-c.pid, SIGKILL);  // the child's whole group: a launcher's workers too
      if (!c.exit_code) waitpid(c.pid, nullptr, 0);
    }
  }

  // Starts argv[0] (a path) with `env` added to this process's environment; stdout and stderr go to `log`.
  size_t start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               fs::path log) {
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      // Our own process group, so killing a launcher's group reaches its workers too.
      setpgid(0, 0);
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      std::FILE* out = std::fopen(log.c_str(), "w");
      if (out) {
        dup2(fileno(out), 1);
        dup2(fileno(out), 2);
      }
      std::vector<std::string> args = argv;
      std::vector<char*> cargv;
      for (auto& a : args) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    children_.push_back({pid, std::move(log), std::nullopt});
    return children_.size() - 1;
  }

  Child& operator[](size_t i) { return children_.at(i); }

  bool running(size_t i) {
    Child& c = children_.at(i);
    if (c.exit_code) return false;
    int status = 0;
    if (waitpid(c.pid, &status, WNOHANG) != c.pid) return true;
    c.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return false;
  }

  // Waits for child i to end; nullopt if it is still running after `timeout`.
  std::optional<int> wait(size_t i, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (running(i)) {
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return children_.at(i).exit_code;
  }

  // Every child; true when all ended within `timeout`.
  bool wait_all(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (size_t i = 0; i < children_.size(); ++i) {
      const auto left =
          std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
      if (!wait(i, std::max(left, std::chrono::seconds(0)))) return false;
    }
    return true;
  }

  void kill_hard(size_t i) {
    kill(children_.at(i).pid, SIGKILL);
    wait(i, std::chrono::seconds(10));
  }

  std::string output(size_t i) const {
    std::ifstream in(children_.at(i).log);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string all_output() const {
    std::string out;
    for (size_t i = 0; i < children_.size(); ++i)
      out += "--- process " + std::to_string(i) + ":\n" + output(i);
    return out;
  }

 private:
  std::vector<Child> children_;
};

// The draggan binary with `args`, as argv.
inline std::vector<std::string> draggan_command(const std::string& args) {
  std::vector<std::string> argv{DRAGGAN_BINARY};
  for (auto& w : words(args)) argv.push_back(w);
  return argv;
}

// torchrun (Debian's python3-torch) starting `nproc` ranks of `draggan args`. Debian 12 pairs torch 1.13 with
// Python 3.11, where torchrun's default --redirects/--tee value "0" fails to parse: stderr is redirected and
// teed instead (stdout stays the workers' own).
inline std::vector<std::string> torchrun_command(const std::string& launcher_args, const std::string& args) {
  std::vector<std::string> argv{"/usr/bin/torchrun"};
  for (auto& w : words(launcher_args + " --redirects 2 --tee 2 --no_python " + DRAGGAN_BINARY + " " + args))
    argv.push_back(w);
  return argv;
}

inline bool have_torchrun() { return fs::exists("/usr/bin/torchrun"); }

}  // namespace draggan::dist_test
