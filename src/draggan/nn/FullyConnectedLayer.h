// Equalised-learning-rate dense layer: weights are stored at unit scale and multiplied by lr_multiplier/sqrt(in)
// at run time (official FullyConnectedLayer), so checkpoints hold the raw "weight" / "bias".
#pragma once
#include <torch/torch.h>

#include "draggan/nn/BiasAct.h"
#include "draggan/nn/DerivedWeight.h"

namespace draggan {

struct FullyConnectedOptions {
  int64_t in_features = 0;
  int64_t out_features = 0;
  bool bias = true;
  Activation activation = Activation::Linear;
  double lr_multiplier = 1.0;
  double bias_init = 0.0;
};

class FullyConnectedLayerImpl : public torch::nn::Module {
 public:
  explicit FullyConnectedLayerImpl(const FullyConnectedOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [N, in] -> [N, out]

  torch::Tensor weight;  // [out, in]
  torch::Tensor bias;    // [out] or undefined

 private:
  FullyConnectedOptions options_;
  double weight_gain_;
  DerivedWeight scaled_weight_;  // weight * weight_gain_, kept while the weight is unchanged (one per w per image)
};
TORCH_MODULE(FullyConnectedLayer);

}  // namespace draggan
