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

std::optional<SourceSpan> source_span_of(const PixelBox& box, int64_t size, int64_t in_size) {
  const int64_t factor = size / in_size;
  if (size % in_size != 0 || (factor & (factor - 1)) != 0) return std::nullopt;
  auto [r0, r1] = source_span(std::max<int64_t>(box.top, 0), std::min(box.bottom, size - 1), factor, in_size);
  auto [c0, c1] = source_span(std::max<int64_t>(box.left, 0), std::min(box.right, size - 1), factor, in_size);
  return SourceSpan{r0, r1, c0, c1};
}

FeatureWindow resize_span(const torch::Tensor& crop, const SourceSpan& span, int64_t size, int64_t in_size) {
  const int64_t factor = size / in_size;
  torch::Tensor up = at::upsample_bilinear2d(crop, {(span.row1 - span.row0 + 1) * factor,
                                                    (span.col1 - span.col0 + 1) * factor}, false);
  return {up, span.row0 * factor, span.col0 * factor, size, size};
}

FeatureWindow resize_features(const torch::Tensor& block_output, int64_t size, const PixelBox* box) {
  const int64_t in_size = block_output.size(2);
  if (in_size == size && block_output.size(3) == size) return FeatureWindow::whole(block_output);
  const auto whole = [&] { return FeatureWindow::whole(at::upsample_bilinear2d(block_output, {size, size}, false)); };
  if (!box || block_output.size(3) != in_size) return whole();
  const std::optional<SourceSpan> span = source_span_of(*box, size, in_size);
  if (!span || (span->row0 == 0 && span->col0 == 0 && span->row1 == in_size - 1 && span->col1 == in_size - 1))
    return whole();
  torch::Tensor crop = block_output.slice(2, span->row0, span->row1 + 1).slice(3, span->col0, span->col1 + 1);
  return resize_span(crop, *span, size, in_size);
}

}  // namespace draggan
