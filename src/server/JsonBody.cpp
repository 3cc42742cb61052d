#include "server/JsonBody.h"

#include "draggan/core/Error.h"
#include "server/ServerLimits.h"

namespace draggan::server {

nlohmann::json parse_json_object(const std::string& text, size_t max_values, const std::string& what) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  size_t values = 0;
  const auto bounded = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > limits::kJsonDepth)
      throw InputError(what + ": JSON nested deeper than " + std::to_string(limits::kJsonDepth) + " levels");
    if (++values > max_values)
      throw InputError(what + ": more than " + std::to_string(max_values) + " JSON values");
    return true;
  };
  nlohmann::json body;
  try {
    body = nlohmann::json::parse(text, bounded);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(what + ": malformed JSON: " + e.what());
  }
  if (!body.is_object()) throw InputError(what + ": the JSON body must be an object");
  return body;
}

}  // namespace draggan::server
