#include "server/TunedModel.h"

#include "draggan/core/Error.h"

namespace draggan::server {

StateDict tuned_weights(const LoadedModel& model) {
  StateDict weights;
  for (const auto& [name, tensor] : state_dict_of(*model.generator)) weights[name] = tensor.detach().cpu();
  return weights;
}

std::shared_ptr<LoadedModel> with_tuned_weights(const LoadedModel& base, const StateDict& weights,
                                                const std::string& origin) {
  auto tuned = std::make_shared<LoadedModel>(base);
  tuned->generator = Generator(base.config);
  try {
    load_state_dict(*tuned->generator, weights, origin);
  } catch (const CheckpointError& e) {
    throw InputError(e.what());  // the weights came from a client's file, not from the server's model
  }
  tuned->generator->eval();
  for (auto& p : tuned->generator->parameters()) p.set_requires_grad(false);
  auto params = base.generator->parameters();
  if (!params.empty()) tuned->generator->to(params.front().device());
  return tuned;
}

}  // namespace draggan::server
