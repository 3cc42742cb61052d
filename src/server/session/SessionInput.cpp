#include "server/session/SessionInput.h"

#include <cmath>

#include "draggan/core/Error.h"
#include "server/ServerLimits.h"

namespace draggan::server {

uint32_t parse_seed(const nlohmann::json& value, const std::string& what) {
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > 0xffffffffLL)
    throw InputError(what + ": expected an integer in 0..4294967295, got " + value.dump().substr(0, 80));
  return static_cast<uint32_t>(value.get<int64_t>());
}

double parse_psi(const nlohmann::json& value, const std::string& what) {
  if (!value.is_number() || !std::isfinite(value.get<double>()) || std::abs(value.get<double>()) > limits::kMaxAbsPsi)
    throw InputError(what + ": expected a number in -10..10, got " + value.dump().substr(0, 80));
  return value.get<double>();
}

LatentSpace parse_space(const nlohmann::json& value, const std::string& what) {
  if (!value.is_string()) throw InputError(what + ": expected \"w\" or \"w+\", got " + value.dump().substr(0, 80));
  try {
    return parse_latent_space(value.get<std::string>());
  } catch (const InputError& e) {
    throw InputError(what + ": " + e.what());
  }
}

DragPoint parse_point(const nlohmann::json& value, const std::string& what, int64_t height, int64_t width) {
  if (!value.is_array() || value.size() != 2 || !value[0].is_number() || !value[1].is_number())
    throw InputError(what + ": expected [x, y] (image pixels), got " + value.dump().substr(0, 80));
  const double x = value[0].get<double>(), y = value[1].get<double>();
  if (!std::isfinite(x) || !std::isfinite(y) || x < 0 || y < 0 || x > width - 1 || y > height - 1)
    throw InputError(what + ": [" + value[0].dump() + ", " + value[1].dump() + "] is outside the " +
                     std::to_string(width) + "x" + std::to_string(height) + " image (x 0.." +
                     std::to_string(width - 1) + ", y 0.." + std::to_string(height - 1) + ")");
  return {x, y};
}

void check_point_count(size_t count, const std::string& what) {
  if (count > limits::kMaxPoints)
    throw InputError(what + ": at most " + std::to_string(limits::kMaxPoints) + " points, got " + std::to_string(count));
}

void check_fields(const nlohmann::json& object, std::initializer_list<const char*> known, const std::string& what) {
  if (!object.is_object()) throw InputError(what + ": expected a JSON object");
  for (const auto& item : object.items()) {
    bool found = false;
    for (const char* k : known) found = found || item.key() == k;
    if (!found) throw InputError(what + ": unknown field \"" + item.key().substr(0, 80) + "\"");
  }
}

}  // namespace draggan::server
