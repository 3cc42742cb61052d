// Subcommands register themselves from their own file (Generate.cpp, Drag.cpp, ...), so adding one never
// touches main.cpp:
//   static const RegisterSubcommand kGenerate{"generate", "Make an image from a seed", 10, &setup_generate};
// `setup` adds the subcommand's own options to `sub` and returns the function that runs it.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "CommonOptions.h"

namespace draggan::tools {

using SubcommandSetup = SubcommandRunner (*)(CLI::App& sub, CommonOptions& common);

struct SubcommandEntry {
  std::string name;
  std::string description;
  int order;  // position in --help
  SubcommandSetup setup;
};

std::vector<SubcommandEntry>& subcommand_registry();

struct RegisterSubcommand {
  RegisterSubcommand(std::string name, std::string description, int order, SubcommandSetup setup) {
    subcommand_registry().push_back({std::move(name), std::move(description), order, setup});
  }
};

}  // namespace draggan::tools
