// The StyleGAN2 losses: non-saturating logistic GAN loss and the R1 gradient penalty on real images.
#pragma once
#include <torch/torch.h>

namespace draggan {

// Generator: softplus(-D(G(z))), averaged.
torch::Tensor generator_loss(const torch::Tensor& fake_logits);

// Discriminator: softplus(D(G(z))) + softplus(-D(x)), each averaged.
torch::Tensor discriminator_loss(const torch::Tensor& real_logits, const torch::Tensor& fake_logits);

// R1: |d sum(D(x)) / dx|^2 per image [N]; `real_images` must require grad and `real_logits` depend on it. The
// graph is kept (create_graph) so the penalty itself can be back-propagated.
torch::Tensor r1_penalty(const torch::Tensor& real_logits, const torch::Tensor& real_images);

// Lazy R1 as the discriminator minimises it every `interval` iterations: mean(penalty) * gamma / 2 * interval.
torch::Tensor lazy_r1_loss(const torch::Tensor& penalty, double gamma, int interval);

}  // namespace draggan
