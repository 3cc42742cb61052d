#include "draggan/train/Losses.h"

#include <cmath>

namespace draggan {

torch::Tensor generator_loss(const torch::Tensor& fake_logits) {
  return torch::nn::functional::softplus(-fake_logits).mean();
}

torch::Tensor discriminator_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits) {
  namespace F = torch::nn::functional;
  return F::softplus(fake_logits).mean() + F::softplus(-real_logits).mean();
}

torch::Tensor r1_penalty(const torch::Tensor& real_logits, const torch::Tensor& real_images) {
  torch::Tensor grad = torch::autograd::grad({real_logits.sum()}, {real_images}, /*grad_outputs=*/{},
                                             /*retain_graph=*/true, /*create_graph=*/true)[0];
  return grad.square().sum({1, 2, 3});
}

torch::Tensor lazy_r1_loss(const torch::Tensor& penalty, double gamma, int interval) {
  // The gain `interval` keeps the effective strength independent of how often the penalty is applied.
  return penalty.mean() * (gamma / 2.0) * static_cast<double>(interval);
}

torch::Tensor path_lengths(const torch::Tensor& images, const torch::Tensor& ws,
                           const BatchRows& batch_rows) {
  const double pixels = static_cast<double>(images.size(2) * images.size(3));
  // randn_like keeps the images' memory layout, which decides where each number lands: the split draw keeps
  // it too.
  const torch::Tensor noise =
      batch_rows.whole()
          ? torch::randn_like(images)
          : batch_rows.select(
                torch::empty({batch_rows.total(), images.size(1), images.size(2), images.size(3)},
                             images.options().memory_format(images.suggest_memory_format()))
                    .normal_());
  const torch::Tensor direction = noise / std::sqrt(pixels);
  torch::Tensor grad = torch::autograd::grad({(images * direction).sum()}, {ws}, /*grad_outputs=*/{},
                                             /*retain_graph=*/true, /*create_graph=*/true)[0];
  return grad.square().sum(2).mean(1).sqrt();
}

torch::Tensor lazy_path_length_loss(const torch::Tensor& lengths, const torch::Tensor& mean_length,
                                    double weight, int interval) {
  return (lengths - mean_length).square().mean() * weight * static_cast<double>(interval);
}

}  // namespace draggan
