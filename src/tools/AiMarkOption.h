// --ai-mark, shared by the subcommands that write images: the visible "AI Generated" mark of the editor on
// the generated images they write (small images are enlarged first, provenance/GeneratedMark.h). Off by
// default on the command line; every image file carries its machine-readable provenance record either way.
#pragma once
#include <CLI/CLI.hpp>
#include <torch/torch.h>

#include "draggan/provenance/GeneratedMark.h"

namespace draggan::tools {

struct AiMarkOption {
  bool enabled = false;

  void add_to(CLI::App& sub) {
    sub.add_flag("--ai-mark", enabled,
                 "Stamp a visible \"AI Generated\" mark on the generated images (images under 256 px wide are "
                 "enlarged first, nearest neighbour, so it can be read)");
  }
  torch::Tensor apply(const torch::Tensor& image) const { return enabled ? mark_as_generated(image) : image; }
};

}  // namespace draggan::tools
