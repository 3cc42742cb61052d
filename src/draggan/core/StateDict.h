// A flat name -> tensor map, the currency between checkpoint readers and modules.
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

namespace draggan {

using StateDict = std::map<std::string, torch::Tensor>;

// Every parameter and buffer of `module`, named as LibTorch names them ("synthesis.b4.conv1.weight").
StateDict state_dict_of(const torch::nn::Module& module);

// Name-to-name copy into `module` with shape checks. Every parameter/buffer of the module must be present;
// `origin` names the checkpoint in error messages. Extra entries are an error unless `allow_extra`.
void load_state_dict(torch::nn::Module& module, const StateDict& weights, const std::string& origin,
                     bool allow_extra = false);

}  // namespace draggan
