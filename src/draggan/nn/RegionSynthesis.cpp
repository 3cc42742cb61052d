#include "draggan/nn/RegionSynthesis.h"

#include <string>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

// The block's feature path (no toRGB: features only) on an input window whose output starts at `origin`.
torch::Tensor block_features(SynthesisBlockImpl& block, const torch::Tensor& x_in, const torch::Tensor& block_ws,
                             NoiseMode noise, const PixelWindow& out_window) {
  const int64_t r = out_window.row0, c = out_window.col0;
  if (block.options().in_channels == 0) {
    torch::Tensor x = block.const_input.unsqueeze(0).expand({block_ws.size(0), -1, -1, -1});
    return block.conv1->forward(x, block_ws.select(1, 0), noise);
  }
  if (block.options().architecture == "resnet") {
    const double g = std::sqrt(0.5);
    torch::Tensor y = block.skip->forward(x_in, g);
    torch::Tensor x = block.conv0->forward(x_in, block_ws.select(1, 0), noise, 1.0, r, c);
    return y + block.conv1->forward(x, block_ws.select(1, 1), noise, g, r, c);
  }
  torch::Tensor x = block.conv0->forward(x_in, block_ws.select(1, 0), noise, 1.0, r, c);
  return block.conv1->forward(x, block_ws.select(1, 1), noise, 1.0, r, c);
}

torch::Tensor crop(const torch::Tensor& x, const PixelWindow& have, const PixelWindow& want) {
  if (have.row0 == want.row0 && have.col0 == want.col0 && have.rows == want.rows && have.cols == want.cols) return x;
  return x.slice(2, want.row0 - have.row0, want.row_end() - have.row0)
      .slice(3, want.col0 - have.col0, want.col_end() - have.col0);
}

}  // namespace

torch::Tensor synthesize_block_window(SynthesisNetworkImpl& synthesis, const torch::Tensor& ws_in, int block,
                                      const PixelWindow& window, NoiseMode noise) {
  const int num_blocks = static_cast<int>(synthesis.blocks.size());
  if (block < 0 || block >= num_blocks)
    throw InputError("region synthesis: block " + std::to_string(block) + " does not exist");
  const int64_t res = synthesis.blocks[block]->options().resolution;
  if (window.empty() || window.row0 < 0 || window.col0 < 0 || window.row_end() > res || window.col_end() > res)
    throw InputError("region synthesis: window outside the " + std::to_string(res) + "-px map of block " +
                     std::to_string(block));
  if (ws_in.dim() != 3 || ws_in.size(1) != synthesis.num_ws())
    throw InputError("region synthesis: ws must have shape [N, " + std::to_string(synthesis.num_ws()) + ", w_dim]");
  const torch::Tensor ws = ws_in.to(torch::kFloat32);

  // What each block must produce, from the requested block down: half the window below, plus a margin.
  std::vector<PixelWindow> need(block + 1);
  need[block] = window;
  for (int i = block - 1; i >= 0; --i) {
    const int64_t size = synthesis.blocks[i]->options().resolution;
    need[i] = need[i + 1].halved().grown(kRegionMarginPixels, size);
  }

  torch::Tensor x;
  PixelWindow have;
  for (int i = 0; i <= block; ++i) {
    auto& b = *synthesis.blocks[i];
    const int64_t size = b.options().resolution;
    const torch::Tensor block_ws = ws.narrow(1, synthesis.block_w_offsets()[i], b.num_conv() + b.num_torgb());
    // The input window doubles into the output window; blocks that need their whole map get all of it.
    const PixelWindow out = i == 0 ? PixelWindow::whole(size)
                                   : PixelWindow{have.row0 * 2, have.col0 * 2, have.rows * 2, have.cols * 2};
    x = block_features(b, x, block_ws, noise, out);
    PixelWindow keep = need[i].covers(size) ? PixelWindow::whole(size) : need[i];
    x = crop(x, out, keep);
    have = keep;
  }
  return x;
}

}  // namespace draggan
