// The registry of generator families: how each one recognises its checkpoints and builds a GeneratorModel from
// (architecture JSON, named tensors). Readers of file formats (io/) turn bytes into those two things; this picks
// the family by content (tensor names and shapes, init kwargs), never by file name.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "draggan/core/StateDict.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

struct GeneratorFamily {
  std::string name;  // as GeneratorModel::family() reports it and the native file's "family" metadata stores it

  // NVIDIA PyTorch snapshots (and others that carry the official init kwargs): whether G_ema with these init
  // kwargs and tensors belongs to this family. Must not throw.
  std::function<bool(const nlohmann::json& init_kwargs, const StateDict& tensors)> matches_snapshot;
  // ... and its architecture JSON for build(). Throws CheckpointError("init_kwargs: ...") on what it cannot build.
  std::function<nlohmann::json(const nlohmann::json& init_kwargs, const StateDict& tensors)> config_from_snapshot;

  // Builds the model from config_json() and tensors under the checkpoint's names: every parameter and buffer
  // must be present with its shape (CheckpointError naming `origin` and the tensor otherwise). The result is in
  // eval mode, without gradients on its parameters, on `device`.
  std::function<GeneratorPtr(const nlohmann::json& config, const StateDict& tensors, const std::string& origin,
                             torch::Device device)>
      build;
};

// Every family this build knows, the most specific first (StyleGAN-Human before StyleGAN2).
const std::vector<GeneratorFamily>& generator_families();

// The family called `name`; CheckpointError listing the known ones otherwise.
const GeneratorFamily& generator_family(const std::string& name);

// The first family whose matches_snapshot accepts G_ema; CheckpointError (naming `origin`) when none does.
const GeneratorFamily& family_of_snapshot(const nlohmann::json& init_kwargs, const StateDict& tensors,
                                          const std::string& origin);

}  // namespace draggan
