// The one fuzz executable: `draggan_fuzz --target=<harness> [libFuzzer flags] [corpus dirs]` (libFuzzer
// ignores flags that start with "--"). Harnesses are listed here, explicitly.
#include <cstring>
#include <string>

#include "FuzzInput.h"

namespace {

using Harness = int (*)(const uint8_t*, size_t);

struct Target {
  const char* name;
  Harness run;
};

constexpr Target kTargets[] = {
    {"pickle", draggan::fuzz::fuzz_pickle},
    {"torch_file", draggan::fuzz::fuzz_torch_file},
    {"nvidia_snapshot", draggan::fuzz::fuzz_nvidia_snapshot},
    {"tensorflow_snapshot", draggan::fuzz::fuzz_tensorflow_snapshot},
    {"safetensors", draggan::fuzz::fuzz_safetensors},
    {"npy", draggan::fuzz::fuzz_npy},
    {"idx", draggan::fuzz::fuzz_idx},
    {"image", draggan::fuzz::fuzz_image},
    {"mask", draggan::fuzz::fuzz_mask},
    {"session_json", draggan::fuzz::fuzz_session_json},
    {"request_guard", draggan::fuzz::fuzz_request_guard},
};

Harness chosen = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  std::string names;
  for (int i = 1; i < *argc; ++i) {
    const char* arg = (*argv)[i];
    if (std::strncmp(arg, "--target=", 9) != 0) continue;
    for (const Target& t : kTargets)
      if (std::strcmp(arg + 9, t.name) == 0) chosen = t.run;
  }
  if (!chosen) {
    for (const Target& t : kTargets) names += std::string(" ") + t.name;
    std::fprintf(stderr, "draggan_fuzz: pass --target=NAME, one of:%s\n", names.c_str());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { return chosen(data, size); }
