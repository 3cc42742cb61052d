// Text in and out of a c10d store, whose values are byte vectors.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace draggan::dist {

inline std::vector<uint8_t> to_store_value(const std::string& s) { return {s.begin(), s.end()}; }
inline std::string from_store_value(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

}  // namespace draggan::dist
