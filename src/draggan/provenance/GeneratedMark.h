// The visible "AI Generated" mark, as the official DragGAN app stamps on every image it shows or saves (its
// licence asks every derivative to keep it). Drawn from a small built-in bitmap font: no font file, no font
// library, the same pixels on every machine.
#pragma once
#include <torch/torch.h>

namespace draggan {

// A mark needs about 70 px of width to be read. Images narrower than kMarkMinWidth (or shorter than
// kMarkMinHeight) are first enlarged by a whole factor, nearest neighbour, so each model pixel stays a sharp
// square: the shipped 32-px model's images become 256 px. Returns that factor (1 for larger images).
inline constexpr int64_t kMarkMinWidth = 256;
inline constexpr int64_t kMarkMinHeight = 32;
int generated_mark_enlargement(int64_t height, int64_t width);

// uint8 [H, W, C] (C = 1, 3 or 4) or [H, W], any device -> a new CPU image, enlarged as above, with "AI Generated"
// in the bottom-right corner: white letters over a dark outline, both half-transparent, so the mark reads on
// any background; letters one font pixel per 256 px of width (7 px tall at 256 px, 14 at 512), a margin of
// about 2% (the official mark: 25/512 of the width, 10 px in).
torch::Tensor mark_as_generated(const torch::Tensor& image);

// Nearest-neighbour enlargement of uint8 [H, W, C] or [H, W] by a whole factor >= 1.
torch::Tensor enlarge_nearest(const torch::Tensor& image, int factor);

}  // namespace draggan
