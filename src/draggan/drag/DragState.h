// Everything a DragSession's next step depends on, as plain tensors and numbers: what a server commits after
// every step so that another process can carry on the drag and take exactly the steps this one would have.
//
// The latent being optimised, Adam's moments and step count, the current and the as-set handles, the
// targets, each handle's reference feature, the latent whose features the mask term compares against, and
// the step count. Not in it: the generator, the parameters, the latent space and the mask, which the caller
// gives the new session as it gave the first (DragSession(generator, ws0, params, space) + set_mask), and the
// start latent ws0, which restore() takes from the state (set_params may have moved rows of it).
// The mask's start features are recomputed from `feat0_ws` by the same pass, so they are the same bits.
// With NoiseMode::Random a step also depends on the random generator, which is not part of the state.
#pragma once
#include <torch/torch.h>

#include <vector>

namespace draggan {

struct DragPair;

struct DragState {
  torch::Tensor ws0;                        // [1, num_ws, w_dim]
  torch::Tensor w_opt;                      // the optimised rows: [1, L, w_dim] (W+) or [1, w_dim] (W)
  torch::Tensor exp_avg, exp_avg_sq;        // Adam's moments (undefined before the first optimiser step)
  int64_t adam_step = 0;
  std::vector<double> handles;              // x0, y0, x1, y1, ... (after the last step's tracking)
  std::vector<double> handles_as_set;       // what reset() goes back to
  std::vector<double> targets;
  std::vector<torch::Tensor> feature_refs;  // per pair: [C], undefined = retaken at the next step
  torch::Tensor feat0_ws;                   // undefined = taken at the next step
  int steps_taken = 0;
};

}  // namespace draggan
