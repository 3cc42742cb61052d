// JSON from clients, parsed within limits: nesting depth and the number of values are capped while parsing,
// because nlohmann spends ~16 bytes and more per value (a megabyte of "[0,0,0,..." would be tens of MB) and
// frees deep nesting recursively.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace draggan::server {

// `text` as one JSON object ({} when empty). Throws InputError naming `what` when it is malformed, not an
// object, nested deeper than limits::kJsonDepth or holds more than `max_values` values (keys count).
nlohmann::json parse_json_object(const std::string& text, size_t max_values, const std::string& what);

}  // namespace draggan::server
