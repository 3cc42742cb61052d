#include "draggan/nn/stylegan2/RegionSynthesis.h"

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
    torch::Tensor x = block.const_input.unsqueeze(0).expand({block_ws.size(0), -1, -1, -1}).contiguous(at::MemoryFormat::ChannelsLast);
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

torch::Tensor synthesize_block_window(SynthesisNetworkImpl& synthesis, const torch::Tensor& ws, int block,
                                      const PixelWindow& window, NoiseMode noise) {
  return synthesize_block_windows(synthesis, ws, block, {window}, noise).front();
}

std::vector<torch::Tensor> synthesize_block_windows(SynthesisNetworkImpl& synthesis, const torch::Tensor& ws_in,
                                                    int block, const std::vector<PixelWindow>& windows,
                                                    NoiseMode noise) {
  const int num_blocks = static_cast<int>(synthesis.blocks.size());
  if (block < 0 || block >= num_blocks)
    throw InputError("region synthesis: block " + std::to_string(block) + " does not exist");
  auto size_of = [&](int i) {
    return MapSize{synthesis.blocks[i]->options().resolution, synthesis.blocks[i]->width()};
  };
  const MapSize map = size_of(block);
  for (const PixelWindow& window : windows)
    if (window.empty() || !window.inside(map))
      throw InputError("region synthesis: window outside the " + std::to_string(map.rows) + "x" +
                       std::to_string(map.cols) + " map of block " + std::to_string(block) + " (rows x columns)");
  if (ws_in.dim() != 3 || ws_in.size(1) != synthesis.num_ws())
    throw InputError("region synthesis: ws must have shape [N, " + std::to_string(synthesis.num_ws()) + ", w_dim]");
  const torch::Tensor ws = ws_in.to(torch::kFloat32);

  // What each block must produce for each window, from the requested block down: half the window below, plus
  // a margin. Blocks that every window needs whole (always the first) run once, shared.
  std::vector<std::vector<PixelWindow>> need(windows.size(), std::vector<PixelWindow>(block + 1));
  int shared_blocks = 1;
  for (size_t k = 0; k < windows.size(); ++k) {
    need[k][block] = windows[k];
    for (int i = block - 1; i >= 0; --i) need[k][i] = need[k][i + 1].halved().grown(kRegionMarginPixels, size_of(i));
  }
  while (shared_blocks <= block) {
    bool all_whole = true;
    for (const auto& n : need) all_whole = all_whole && n[shared_blocks].covers(size_of(shared_blocks));
    if (!all_whole) break;
    ++shared_blocks;
  }

  auto run_block = [&](int i, const torch::Tensor& x, const PixelWindow& have, const PixelWindow& want,
                       PixelWindow* kept) {
    auto& b = *synthesis.blocks[i];
    const MapSize size = size_of(i);
    const torch::Tensor block_ws = ws.narrow(1, synthesis.block_w_offsets()[i], b.num_conv() + b.num_torgb());
    // The input window doubles into the output window; a block whose need is its whole map gets all of it.
    const PixelWindow out = i == 0 ? PixelWindow::whole(size)
                                   : PixelWindow{have.row0 * 2, have.col0 * 2, have.rows * 2, have.cols * 2};
    *kept = want.covers(size) ? PixelWindow::whole(size) : want;
    return crop(block_features(b, x, block_ws, noise, out), out, *kept);
  };

  torch::Tensor shared;
  PixelWindow shared_window;
  for (int i = 0; i < shared_blocks; ++i)
    shared = run_block(i, shared, shared_window, PixelWindow::whole(size_of(i)), &shared_window);

  std::vector<torch::Tensor> results;
  for (size_t k = 0; k < windows.size(); ++k) {
    torch::Tensor x = shared;
    PixelWindow have = shared_window;
    for (int i = shared_blocks; i <= block; ++i) x = run_block(i, x, have, need[k][i], &have);
    results.push_back(x);
  }
  return results;
}

}  // namespace draggan
