#include "draggan/model/NoiseMode.h"

#include "draggan/core/Error.h"

namespace draggan {

NoiseMode parse_noise_mode(const std::string& name) {
  if (name == "const") return NoiseMode::Const;
  if (name == "random") return NoiseMode::Random;
  if (name == "none") return NoiseMode::None;
  throw InputError("noise mode must be const, random or none, got '" + name + "'");
}

std::string to_string(NoiseMode mode) {
  switch (mode) {
    case NoiseMode::Const: return "const";
    case NoiseMode::Random: return "random";
    case NoiseMode::None: return "none";
  }
  return "const";
}

}  // namespace draggan
