#include "draggan/nn/stylegan2/PixelWindow.h"

#include <algorithm>

namespace draggan {

PixelWindow PixelWindow::united(const PixelWindow& o) const {
  if (empty()) return o;
  if (o.empty()) return *this;
  const int64_t r0 = std::min(row0, o.row0), c0 = std::min(col0, o.col0);
  return {r0, c0, std::max(row_end(), o.row_end()) - r0, std::max(col_end(), o.col_end()) - c0};
}

PixelWindow PixelWindow::grown(int64_t margin, MapSize size) const {
  const int64_t r0 = std::max<int64_t>(row0 - margin, 0), c0 = std::max<int64_t>(col0 - margin, 0);
  const int64_t r1 = std::min(row_end() + margin, size.rows), c1 = std::min(col_end() + margin, size.cols);
  return {r0, c0, std::max<int64_t>(r1 - r0, 0), std::max<int64_t>(c1 - c0, 0)};
}

PixelWindow PixelWindow::halved() const {
  const int64_t r0 = row0 / 2, c0 = col0 / 2;
  return {r0, c0, (row_end() + 1) / 2 - r0, (col_end() + 1) / 2 - c0};
}

}  // namespace draggan
