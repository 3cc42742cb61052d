// torch.nn.Module objects inside a pickle: plain modules (NEWOBJ / copyreg._reconstructor, then BUILD with
// the module's __dict__) and NVIDIA `torch_utils.persistence` objects, whose __dict__ travels as
// meta['state'] of a
// `_reconstruct_persistent_obj(meta)` call. The walk is format-neutral; tensors come from TorchTensors.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "draggan/core/StateDict.h"
#include "draggan/io/PickleValue.h"
#include "draggan/io/TorchPickle.h"

namespace draggan {

struct PickledModule {
  const PickleValue* object = nullptr;
  const PickleValue* dict = nullptr;  // the module's __dict__ (_parameters, _buffers, _modules, attributes)
  std::string class_name;  // "Generator" for persistent objects, "torch.nn.modules.linear.Linear" else
  bool persistent = false;
  std::string_view module_src;  // persistent objects: the source of the defining module
};

// `v` as a module, or nullopt when it is not one.
std::optional<PickledModule> as_module(const PickleValue& v);

// Parameters and persistent buffers of `module` and its submodules, named as Module.state_dict() names them
// ("mapping.fc0.weight"); None entries are skipped.
StateDict module_state_dict(TorchTensors& tensors, const PickledModule& module);

// For persistent objects: the python module that `module_src` defines ("training.networks_stylegan2"),
// guessed from what the source declares; empty when unknown.
std::string persistent_module_name(std::string_view module_src);

}  // namespace draggan
