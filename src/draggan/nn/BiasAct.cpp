#include "draggan/nn/BiasAct.h"

#include <cmath>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan {

Activation parse_activation(const std::string& name) {
  if (name == "linear") return Activation::Linear;
  if (name == "lrelu") return Activation::LeakyReLU;
  throw CheckpointError("unsupported activation '" + name + "' (expected linear or lrelu)");
}

double default_gain(Activation act) { return act == Activation::LeakyReLU ? std::sqrt(2.0) : 1.0; }

torch::Tensor bias_act(const torch::Tensor& x, const torch::Tensor& b, Activation act, double gain,
                       std::optional<double> clamp) {
  torch::Tensor y = x;
  if (b.defined()) {
    std::vector<int64_t> shape(x.dim(), 1);
    shape[1] = b.size(0);
    y = y + b.view(shape);
  }
  if (act == Activation::LeakyReLU) y = torch::leaky_relu(y, 0.2);
  if (gain != 1.0) y = y * gain;
  if (clamp) y = y.clamp(-*clamp, *clamp);
  return y;
}

}  // namespace draggan
