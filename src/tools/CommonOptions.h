// Options every subcommand shares, parsed once by CLI11 and applied before the subcommand runs.
#pragma once
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include <functional>
#include <string>

namespace draggan::tools {

struct CommonOptions {
  std::string device = "cpu";  // cpu | cuda[:N] | auto
  int threads = 0;             // 0 = all cores
  bool verbose = false;
  bool quiet = false;

  torch::Device torch_device() const;
};

// Adds --device/--threads/--verbose/--quiet to a subcommand.
void add_common_options(CLI::App& sub, CommonOptions& common);

// The default model path: $DRAGGAN_MODEL, else the shipped model next to the binary or in the source tree.
std::string default_model_path();

// A subcommand registers itself: it adds its options to `sub` and returns the function that runs it.
using SubcommandRunner = std::function<int()>;

}  // namespace draggan::tools
