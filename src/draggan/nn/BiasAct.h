// Bias, activation, gain and clamp in the official order (bias_act): y = clamp(act(x + b) * gain, -clamp, clamp).
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

namespace draggan {

enum class Activation { Linear, LeakyReLU };

// "linear" | "lrelu"; anything else is a CheckpointError (no StyleGAN2 generator uses the others).
Activation parse_activation(const std::string& name);

// sqrt(2) for lrelu, 1 for linear: the official default gains that keep activations unit-variance.
double default_gain(Activation act);

// x: [N, C, ...]; b: [C] or undefined; gain multiplies after the activation; clamp (if set) limits the result.
torch::Tensor bias_act(const torch::Tensor& x, const torch::Tensor& b, Activation act, double gain = 1.0,
                       std::optional<double> clamp = std::nullopt);

}  // namespace draggan
