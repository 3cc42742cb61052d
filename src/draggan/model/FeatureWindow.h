// The supervised layer's features resized to the feature canvas (the image, or the official renderer's padded
// plane; see GeneratorModel.h), either whole (as the official loop does) or only the window a step reads: tracking windows and motion discs around the handles. On a 512-px model
// the whole map is 256 channels x 512 x 512 (256 MB forward, as much again backward) of which a few thousand
// pixels are used.
#pragma once
#include <torch/torch.h>

#include <optional>

namespace draggan {

struct FeatureWindow {
  torch::Tensor features;  // [1, C, rows, cols]: canvas pixels top.., left.. (with autograd if the input had it)
  int64_t top = 0, left = 0;
  int64_t canvas_height = 0, canvas_width = 0;

  // A whole map (top = left = 0).
  static FeatureWindow whole(const torch::Tensor& features);
  bool is_whole() const { return features.size(2) == canvas_height && features.size(3) == canvas_width; }
  bool contains(int64_t row, int64_t col) const {
    return row >= top && col >= left && row < top + features.size(2) && col < left + features.size(3);
  }
};

// Inclusive pixel box of the image.
struct PixelBox {
  int64_t top, left, bottom, right;
};

// The block-resolution rows/columns (inclusive) that the resized pixels of `box` read, plus one on each side;
// nullopt when the resize factor is not a power of two (then only whole maps are resized).
struct SourceSpan {
  int64_t row0, row1, col0, col1;
};
std::optional<SourceSpan> source_span_of(const PixelBox& box, int64_t height, int64_t width, int64_t in_height,
                                         int64_t in_width);

// Resizes a crop of the block output covering `span` and places it in the image: the same values as the
// whole resize at every pixel of the box the span was made for.
FeatureWindow resize_span(const torch::Tensor& crop, const SourceSpan& span, int64_t height, int64_t width,
                          int64_t in_height, int64_t in_width);

// F.interpolate(block_output, [height, width], mode='bilinear') (align_corners False) restricted to a window that
// covers `box` (empty box or none = the whole image). Every pixel of the box has exactly the value the whole
// resize gives: a power-of-two scale makes every source coordinate exact, and the window's input crop keeps one
// extra source row/column on each side so that the clamping at its edges never reaches the box.
FeatureWindow resize_features(const torch::Tensor& block_output, int64_t height, int64_t width,
                              const PixelBox* box = nullptr);

}  // namespace draggan
