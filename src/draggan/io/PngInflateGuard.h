// A PNG's compressed pixel data (IDAT) may inflate to far more than its header's width x height needs; stb
// grows its buffer to whatever comes out (up to 2 GB from a 2 MB file) before it compares. This walks the
// chunks and inflates into a small scratch buffer, refusing once the output passes what the header allows.
#pragma once
#include <string>

namespace draggan {

// Throws InputError naming `origin` when `bytes` is a PNG whose pixel data inflates beyond its declared size.
// Anything else (not a PNG, truncated, corrupt stream) is left to the decoder to report.
void check_png_inflated_size(const std::string& bytes, const std::string& origin);

}  // namespace draggan
