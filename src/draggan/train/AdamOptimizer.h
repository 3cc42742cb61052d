// Adam over a module's named parameters, with its state (exp_avg, exp_avg_sq, step) exposed by parameter name
// so a checkpoint can hold it and resume bit-for-bit. Same update as torch.optim.Adam (no weight decay).
#pragma once
#include <torch/torch.h>

#include <map>
#include <string>

#include "draggan/core/StateDict.h"

namespace draggan {

struct AdamSettings {
  double lr = 0.0025;
  double beta1 = 0.0;
  double beta2 = 0.99;
  double eps = 1e-8;
};

class AdamOptimizer {
 public:
  AdamOptimizer(torch::nn::Module& module, AdamSettings settings);

  void zero_grad();
  // One step on every parameter that has a gradient; NaN/inf gradients are replaced (nan -> 0, +-inf -> +-1e5)
  // first, as the official training loop does, so one bad batch cannot poison the weights.
  void step();

  int64_t step_count() const { return step_; }
  const AdamSettings& settings() const { return settings_; }

  // "<param>.exp_avg" / "<param>.exp_avg_sq" (CPU copies) and the step count.
  StateDict state() const;
  // Inverse of state(); `origin` names the checkpoint in errors. Shapes must match.
  void load_state(const StateDict& state, int64_t step, const std::string& origin);
  // The moment tensors themselves (exp_avg, exp_avg_sq per parameter, in name order), to overwrite in place.
  std::vector<torch::Tensor> moments() const;

 private:
  struct Slot {
    torch::Tensor param, exp_avg, exp_avg_sq;
  };
  std::map<std::string, Slot> slots_;
  AdamSettings settings_;
  int64_t step_ = 0;
};

}  // namespace draggan
