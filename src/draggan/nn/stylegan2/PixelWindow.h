// A rectangle of pixels on a map: rows [row0, row0 + rows), columns [col0, col0 + cols).
#pragma once
#include <cstdint>

namespace draggan {

// The size of a whole map: square for StyleGAN2, rows x rows/2 for StyleGAN-Human.
struct MapSize {
  int64_t rows = 0;
  int64_t cols = 0;
};

struct PixelWindow {
  int64_t row0 = 0;
  int64_t col0 = 0;
  int64_t rows = 0;
  int64_t cols = 0;

  int64_t row_end() const { return row0 + rows; }
  int64_t col_end() const { return col0 + cols; }
  bool empty() const { return rows <= 0 || cols <= 0; }
  bool covers(MapSize size) const {
    return row0 <= 0 && col0 <= 0 && row_end() >= size.rows && col_end() >= size.cols;
  }
  bool inside(MapSize size) const { return row0 >= 0 && col0 >= 0 && row_end() <= size.rows && col_end() <= size.cols; }

  static PixelWindow whole(MapSize size) { return {0, 0, size.rows, size.cols}; }
  static PixelWindow whole(int64_t size) { return {0, 0, size, size}; }
  // The smallest window holding both.
  PixelWindow united(const PixelWindow& other) const;
  // Grown by `margin` on every side, then clipped to the map.
  PixelWindow grown(int64_t margin, MapSize size) const;
  // The window at half the resolution that holds every pixel this one covers (rounded outwards).
  PixelWindow halved() const;
};

}  // namespace draggan
