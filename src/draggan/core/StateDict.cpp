#include "draggan/core/StateDict.h"

#include <sstream>

#include "draggan/core/Error.h"

namespace draggan {

StateDict state_dict_of(const torch::nn::Module& module) {
  StateDict out;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) out[p.key()] = p.value();
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out[b.key()] = b.value();
  return out;
}

namespace {
std::string shape_str(const torch::Tensor& t) {
  std::ostringstream s;
  s << t.sizes();
  return s.str();
}
}  // namespace

void load_state_dict(torch::nn::Module& module, const StateDict& weights, const std::string& origin,
                     bool allow_extra) {
  torch::NoGradGuard no_grad;
  StateDict targets = state_dict_of(module);
  for (auto& [name, target] : targets) {
    auto it = weights.find(name);
    if (it == weights.end()) throw CheckpointError(origin + ": missing tensor '" + name + "'");
    const torch::Tensor& src = it->second;
    if (!src.defined()) throw CheckpointError(origin + ": tensor '" + name + "' is empty");
    if (src.sizes() != target.sizes())
      throw CheckpointError(origin + ": tensor '" + name + "' has shape " + shape_str(src) + ", the model expects " +
                            shape_str(target));
    if (!src.is_floating_point() && target.is_floating_point())
      throw CheckpointError(origin + ": tensor '" + name + "' is not floating point");
    target.copy_(src.to(target.dtype()));
  }
  if (!allow_extra) {
    for (const auto& [name, _] : weights)
      if (!targets.count(name)) throw CheckpointError(origin + ": unexpected tensor '" + name + "'");
  }
}

}  // namespace draggan
