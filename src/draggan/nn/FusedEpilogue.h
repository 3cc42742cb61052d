// The tail of a no-grad synthesis layer in one pass over its output: add the per-pixel noise, leaky ReLU,
// clamp.
//
// Why: on the large maps of the image forward each of those three is a full read and write of the
// activations, and together they cost about a third of what the convolution before them does. One loop over
// the channels-last map does the same arithmetic (the same float operations in the same order, so the same
// bits) while the values are in cache.
#pragma once
#include <torch/torch.h>

#include <optional>

namespace draggan {

// y = clamp(leaky_relu(y + noise, slope), -clamp, clamp) in place; noise (undefined = none) holds one value
// per pixel, [H, W] or [1, 1, H, W], already scaled; y is [1, C, H, W]. Takes the one-pass loop for a float32
// channels-last CPU map outside autograd, else the equivalent ATen ops. Returns y.
torch::Tensor add_noise_leaky_relu_clamp_(torch::Tensor& y, const torch::Tensor& noise, double slope,
                                          const std::optional<double>& clamp);

}  // namespace draggan
