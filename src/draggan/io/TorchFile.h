// Files written by torch.save: the zip format (PyTorch >= 1.6: <name>/data.pkl + <name>/data/<key>) and the
// legacy stream format, e.g. torchvision's .pth weights. Read without Python; tensors come back on the CPU.
#pragma once
#include <memory>
#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/io/PickleValue.h"
#include "draggan/io/TorchPickle.h"

namespace draggan {

struct TorchFile {
  std::unique_ptr<PickleTree> tree;
  std::unique_ptr<TorchTensors> tensors;  // rebuilds tensors of `tree`, reading zip entries on demand
  const PickleValue* root = nullptr;
};

// Throws CheckpointError naming the file (and data.pkl offsets) on anything malformed.
TorchFile read_torch_file(const std::string& path);

// Every tensor in a dict (an OrderedDict state dict, or dicts nested in it: names joined with '.'); other
// values are skipped.
StateDict tensor_dict(TorchTensors& tensors, const PickleValue& dict);

}  // namespace draggan
