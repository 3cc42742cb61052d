#include "server/session/TunedModel.h"

#include "draggan/core/Error.h"

namespace draggan::server {

StateDict tuned_weights(const LoadedModel& model) {
  StateDict weights;
  for (const auto& [name, tensor] : state_dict_of(model.generator->module())) weights[name] = tensor.detach().cpu();
  return weights;
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
