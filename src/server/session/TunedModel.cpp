#include "server/session/TunedModel.h"

#include "draggan/core/Error.h"

namespace draggan::server {

StateDict tuned_weights(const LoadedModel& model) {
  StateDict weights;
  for (const auto& [name, tensor] : state_dict_of(model.generator->module())) weights[name] = tensor.detach().cpu();
  return weights;
}

bool has_weights(const LoadedModel& model, const StateDict& weights) {
  const StateDict current = state_dict_of(model.generator->module());
  if (current.size() != weights.size()) return false;
  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : current) {
    const auto it = weights.find(name);
    if (it == weights.end() || it->second.sizes() != tensor.sizes() || it->second.scalar_type() != tensor.scalar_type())
      return false;
    if (!torch::equal(tensor.detach(), it->second.to(tensor.device()))) return false;
  }
  return true;
}

std::shared_ptr<LoadedModel> with_tuned_weights(const LoadedModel& base, const StateDict& weights,
                                                const std::string& origin) {
  auto tuned = std::make_shared<LoadedModel>(base);
  tuned->generator = base.generator->clone();  // same family and device, eval mode, no gradients
  try {
    load_state_dict(tuned->generator->module(), weights, origin);
  } catch (const CheckpointError& e) {
    throw InputError(e.what());  // the weights came from a client's file, not from the server's model
  }
  return tuned;
}

}  // namespace draggan::server
