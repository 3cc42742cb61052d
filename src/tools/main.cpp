// The `draggan` executable: builds the command line from the registered subcommands, applies the common
// options, runs one subcommand and turns any exception into one line on stderr and a non-zero exit code.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <map>

#include "CommonOptions.h"
#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/core/Runtime.h"

namespace draggan::tools {
std::vector<SubcommandEntry>& subcommand_registry() {
  static std::vector<SubcommandEntry> registry;
  return registry;
}
}  // namespace draggan::tools

int main(int argc, char** argv) {
  using namespace draggan;
  using namespace draggan::tools;
  CLI::App app{"draggan: interactive point-based editing of StyleGAN2 images (DragGAN)"};
  app.require_subcommand(1);
  CommonOptions common;

  auto entries = subcommand_registry();
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  std::map<CLI::App*, SubcommandRunner> runners;
  for (const auto& entry : entries) {
    CLI::App* sub = app.add_subcommand(entry.name, entry.description);
    runners[sub] = entry.setup(*sub, common);
    add_common_options(*sub, common);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    if (common.verbose) log::set_level(log::Level::Debug);
    if (common.quiet) log::set_level(log::Level::Warn);
    configure_threads(common.threads);
    keep_freed_memory_for_reuse();
    common.torch_device();  // a bad --device fails here, even for subcommands that never touch a tensor
    for (auto& [sub, run] : runners)
      if (sub->parsed()) return run();
  } catch (const draggan::Error& e) {
    std::cerr << "draggan: " << e.what() << '\n';
    return 1;
  } catch (const c10::Error& e) {
    std::cerr << "draggan: internal tensor error: " << e.what_without_backtrace() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "draggan: " << e.what() << '\n';
    return 2;
  }
  return 0;
}
