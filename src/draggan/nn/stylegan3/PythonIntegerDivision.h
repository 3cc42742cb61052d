// Python's floor division and modulo on integers: the official padding arithmetic, whose operands may be
// negative, rounds towards minus infinity where C++ rounds towards zero.
#pragma once
#include <cstdint>

namespace draggan::stylegan3 {

inline int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
inline int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

}  // namespace draggan::stylegan3
