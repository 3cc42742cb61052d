#include "draggan/model/FeatureWindow.h"

#include <algorithm>
#include <cmath>

namespace draggan {

FeatureWindow FeatureWindow::whole(const torch::Tensor& features) {
  return {features, 0, 0, features.size(2), features.size(3)};
}

namespace {

// Source rows [first, last] of the input that output pixels lo..hi read, plus one on each side.
std::pair<int64_t, int64_t> source_span(int64_t lo, int64_t hi, int64_t factor, int64_t input_size) {
  const double inv = 1.0 / static_cast<double>(factor);
  const auto first = static_cast<int64_t>(std::floor((lo + 0.5) * inv - 0.5)) - 1;
  const auto last = static_cast<int64_t>(std::ceil((hi + 0.5) * inv - 0.5)) + 1;
  return {std::max<int64_t>(first, 0), std::min(last, input_size - 1)};
}

}  // namespace

namespace {

// The power-of-two factor between a map and its resize, or 0 when there is none.
int64_t power_of_two_factor(int64_t size, int64_t in_size) {
  if (in_size <= 0 || size % in_size != 0) return 0;
  const int64_t factor = size / in_size;
  return (factor & (factor - 1)) == 0 ? factor : 0;
}

}  // namespace

std::optional<SourceSpan> source_span_of(const PixelBox& box, int64_t height, int64_t width, int64_t in_height,
                                         int64_t in_width) {
  const int64_t fy = power_of_two_factor(height, in_height), fx = power_of_two_factor(width, in_width);
  if (fy == 0 || fx == 0) return std::nullopt;
  auto [r0, r1] = source_span(std::max<int64_t>(box.top, 0), std::min(box.bottom, height - 1), fy, in_height);
  auto [c0, c1] = source_span(std::max<int64_t>(box.left, 0), std::min(box.right, width - 1), fx, in_width);
  return SourceSpan{r0, r1, c0, c1};
}

FeatureWindow resize_span(const torch::Tensor& crop, const SourceSpan& span, int64_t height, int64_t width,
                          int64_t in_height, int64_t in_width) {
  const int64_t fy = height / in_height, fx = width / in_width;
  torch::Tensor up =
      at::upsample_bilinear2d(crop, {(span.row1 - span.row0 + 1) * fy, (span.col1 - span.col0 + 1) * fx}, false);
  return {up, span.row0 * fy, span.col0 * fx, height, width};
}

FeatureWindow resize_features(const torch::Tensor& block_output, int64_t height, int64_t width, const PixelBox* box) {
  const int64_t in_height = block_output.size(2), in_width = block_output.size(3);
  if (in_height == height && in_width == width) return FeatureWindow::whole(block_output);
  const auto whole = [&] {
    return FeatureWindow::whole(at::upsample_bilinear2d(block_output, {height, width}, false));
  };
  if (!box) return whole();
  const std::optional<SourceSpan> span = source_span_of(*box, height, width, in_height, in_width);
  if (!span || (span->row0 == 0 && span->col0 == 0 && span->row1 == in_height - 1 && span->col1 == in_width - 1))
    return whole();
  torch::Tensor crop = block_output.slice(2, span->row0, span->row1 + 1).slice(3, span->col0, span->col1 + 1);
  return resize_span(crop, *span, height, width, in_height, in_width);
}

}  // namespace draggan
