// `draggan bench --inversion`: PSNR/SSIM against wall time of the fast and the full inversion schedules on a
// generator's own image, in one process (see BenchInversion.cpp).
#pragma once
#include <cstdint>
#include <string>

#include "draggan/io/ModelFile.h"

namespace draggan::tools {

struct InversionBenchOptions {
  uint32_t target_seed = 1000;
  double target_psi = 1.0;
  bool skip_full = false;
  int full_steps = 1000;
  int full_pti_steps = 350;
  bool json = false;
};

int run_inversion_bench(LoadedModel& model, const std::string& source, const InversionBenchOptions& options);

}  // namespace draggan::tools
