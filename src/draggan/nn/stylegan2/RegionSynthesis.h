// One synthesis block's output over a window only, computed from just the part of each earlier block the
// window depends on.
//
// Why: the drag loss reads the supervised features near the handles only (a disc of r1 and a tracking window
// of r2 pixels), yet a full pass spends almost all its time on the large maps of the last blocks. Every
// operation before the supervised block is a convolution with a small support, so the value of a pixel
// depends on a small cone of pixels below it; the styles, demodulation and noise strength do not depend on
// the pixels at all. Computing a window grown by a margin at each level and trimming it afterwards gives the
// same numbers as the full pass (zero padding still applies where the window touches the true map border);
// autograd through it gives the same gradient for any loss of that window.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "draggan/nn/stylegan2/PixelWindow.h"
#include "draggan/nn/stylegan2/SynthesisNetwork.h"

namespace draggan {

// Pixels, at a block's input resolution, added around the window each level so that the up-sampling
// convolution's and the 3x3 convolution's edge effects fall outside the kept part.
constexpr int64_t kRegionMarginPixels = 4;

// Output x of block `block` (index into b4, b8, ...) restricted to `window` (at that block's resolution):
// [N, C, window.rows, window.cols]. ws [N, num_ws, w_dim]. Blocks whose needed part is the whole map run whole.
torch::Tensor synthesize_block_window(SynthesisNetworkImpl& synthesis, const torch::Tensor& ws, int block,
                                      const PixelWindow& window, NoiseMode noise);

// The same for several windows at once: the early blocks every window needs whole run once and are shared.
std::vector<torch::Tensor> synthesize_block_windows(SynthesisNetworkImpl& synthesis, const torch::Tensor& ws,
                                                    int block, const std::vector<PixelWindow>& windows,
                                                    NoiseMode noise);

}  // namespace draggan
