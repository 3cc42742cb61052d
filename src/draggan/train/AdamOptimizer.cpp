#include "draggan/train/AdamOptimizer.h"

#include <cmath>

#include "draggan/core/Error.h"

namespace draggan {

AdamOptimizer::AdamOptimizer(torch::nn::Module& module, AdamSettings settings) : settings_(settings) {
  for (const auto& p : module.named_parameters(/*recurse=*/true)) {
    if (!p.value().requires_grad()) continue;
    slots_[p.key()] = Slot{p.value(), torch::zeros_like(p.value()), torch::zeros_like(p.value())};
  }
}

void AdamOptimizer::zero_grad() {
  for (auto& [_, s] : slots_)
    if (s.param.grad().defined()) s.param.mutable_grad() = torch::Tensor();
}

void AdamOptimizer::step() {
  torch::NoGradGuard no_grad;
  ++step_;
  const double bc1 = 1.0 - std::pow(settings_.beta1, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(settings_.beta2, static_cast<double>(step_));
  for (auto& [_, s] : slots_) {
    if (!s.param.grad().defined()) continue;
    torch::Tensor g = torch::nan_to_num(s.param.grad(), 0.0, 1e5, -1e5);
    s.exp_avg.mul_(settings_.beta1).add_(g, 1.0 - settings_.beta1);
    s.exp_avg_sq.mul_(settings_.beta2).addcmul_(g, g, 1.0 - settings_.beta2);
    torch::Tensor denom = (s.exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(settings_.eps);
    s.param.addcdiv_(s.exp_avg, denom, -settings_.lr / bc1);
  }
}

StateDict AdamOptimizer::state() const {
  StateDict out;
  for (const auto& [name, s] : slots_) {
    out[name + ".exp_avg"] = s.exp_avg.detach().cpu();
    out[name + ".exp_avg_sq"] = s.exp_avg_sq.detach().cpu();
  }
  return out;
}

std::vector<torch::Tensor> AdamOptimizer::moments() const {
  std::vector<torch::Tensor> out;
  for (const auto& [_, s] : slots_) {
    out.push_back(s.exp_avg);
    out.push_back(s.exp_avg_sq);
  }
  return out;
}

void AdamOptimizer::load_state(const StateDict& state, int64_t step, const std::string& origin) {
  torch::NoGradGuard no_grad;
  for (auto& [name, s] : slots_) {
    for (auto* pair : {&s.exp_avg, &s.exp_avg_sq}) {
      const std::string key = name + (pair == &s.exp_avg ? ".exp_avg" : ".exp_avg_sq");
      auto it = state.find(key);
      if (it == state.end()) throw CheckpointError(origin + ": missing optimiser tensor '" + key + "'");
      if (it->second.sizes() != pair->sizes())
        throw CheckpointError(origin + ": optimiser tensor '" + key + "' has shape " + c10::str(it->second.sizes()) +
                              ", expected " + c10::str(pair->sizes()));
      pair->copy_(it->second.to(pair->dtype()));
    }
  }
  step_ = step;
}

}  // namespace draggan
