// The StyleGAN2 losses: non-saturating logistic GAN loss, the R1 gradient penalty on real images and the
// path-length regulariser of the generator.
#pragma once
#include <torch/torch.h>

#include "draggan/core/BatchRows.h"

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

// Path lengths (Karras et al. 2020, StyleGAN2 section 3.2): per sample, |J_w^T y| with J_w the Jacobian of
// the image with respect to its ws and y a random image of unit-variance pixels scaled by 1 / sqrt(H * W),
// taken as sqrt(mean over ws rows of the row's squared gradient) [N]. `ws` must require grad and `images`
// depend on it; the graph is kept (create_graph) so the regulariser can be back-propagated into the
// generator. batch_rows: the images are these rows of a batch split across processes (the random image is
// drawn for the whole batch and cut to them).
torch::Tensor path_lengths(const torch::Tensor& images, const torch::Tensor& ws,
                           const BatchRows& batch_rows = {});

// The regulariser G minimises every `interval` iterations: mean((lengths - mean_length)^2) * weight *
// interval. Penalising the spread of the lengths around their running mean makes a step of a given size in W
// change the image by about the same amount everywhere: the smooth W that StyleGAN2's editing, and DragGAN,
// rely on.
torch::Tensor lazy_path_length_loss(const torch::Tensor& lengths, const torch::Tensor& mean_length,
                                    double weight, int interval);

}  // namespace draggan
