// How a synthesis pass treats the per-layer noise inputs (official noise_mode): the stored constant maps
// (what the official renderer and every parity fixture use), fresh random maps, or none.
#pragma once
#include <string>

namespace draggan {

enum class NoiseMode { Const, Random, None };
NoiseMode parse_noise_mode(const std::string& name);  // "const" | "random" | "none", else InputError
std::string to_string(NoiseMode mode);

}  // namespace draggan
