// The two loss terms of a DragGAN step (paper section 3.2), written to reproduce the official renderer's
// arithmetic (float32, the same tensor ops in the same order) so trajectories match it step for step.
#pragma once
#include <torch/torch.h>

#include "draggan/model/FeatureWindow.h"

namespace draggan {

// Pixels (row-major, like torch.where) of the motion-supervision disc around a handle:
// dist((X[i], Y[j]), (row, col)) < radius. The official grid is X = Y = linspace(0, h, h) (spacing
// h/(h-1), a quirk kept by default); exact_grid uses X[i] = i. rows/cols are int64 [N]; N may be 0.
struct MotionDisc {
  torch::Tensor rows;
  torch::Tensor cols;
};
MotionDisc motion_disc(int height, int width, int row, int col, int radius, bool exact_grid);

// |target - handle| as the official code computes it (float32 torch.linalg.norm of [dx, dy]).
float handle_distance(int row, int col, double target_row, double target_col);

// One handle's motion term: l1(F(q).detach(), F(q + d)) over the disc pixels q, d the unit vector towards
// the target, F(q + d) bilinearly sampled (grid_sample, align_corners=True, zero padding). The detached side
// is what makes the features at q + d move towards F(q): content flows towards the target.
// features: [1, C, H, W] with autograd. Returns an undefined tensor when |target - handle| <= 1 (the official
// loop adds no term then) or when the disc is empty.
torch::Tensor motion_loss_term(const torch::Tensor& features, int row, int col, double target_row,
                               double target_col, int radius, bool exact_grid);
// The same on a window of the resized features (row/col are image pixels). The window must hold the disc and
// one pixel around it. On a whole map this is exactly the official arithmetic; on a smaller window the sample
// positions are normalised to the window, which moves them by float rounding only (~1e-7 px).
torch::Tensor motion_loss_term(const FeatureWindow& window, int row, int col, double target_row, double target_col,
                               int radius, bool exact_grid);

// lambda-free mask term l1(F * m, F0 * m), mean over all C*H*W; mask [1, 1, H, W], 1 = keep fixed.
torch::Tensor mask_loss_term(const torch::Tensor& features, const torch::Tensor& features0, const torch::Tensor& mask);

}  // namespace draggan
