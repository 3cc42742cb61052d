#include "CommonOptions.h"

#include <cstdlib>
#include <filesystem>

#include "draggan/core/Runtime.h"

namespace draggan::tools {

torch::Device CommonOptions::torch_device() const { return parse_device(device); }

void add_common_options(CLI::App& sub, CommonOptions& common) {
  sub.add_option("--device", common.device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  sub.add_option("--threads", common.threads, "LibTorch intra-op threads (0 = all cores)")->capture_default_str();
  sub.add_flag("-v,--verbose", common.verbose, "Debug logging");
  sub.add_flag("-q,--quiet", common.quiet, "Only warnings and errors");
}

std::string default_model_path() {
  if (const char* env = std::getenv("DRAGGAN_MODEL"); env && *env) return env;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path candidates[] = {
      exe.parent_path() / "models" / "default.safetensors",
      exe.parent_path() / ".." / "share" / "draggan" / "models" / "default.safetensors",
      exe.parent_path() / ".." / "models" / "default.safetensors",
      fs::path(DRAGGAN_SOURCE_DIR) / "models" / "default.safetensors",
  };
  for (const auto& c : candidates)
    if (fs::exists(c, ec)) return fs::weakly_canonical(c, ec).string();
  return (fs::path(DRAGGAN_SOURCE_DIR) / "models" / "default.safetensors").string();
}

}  // namespace draggan::tools
