// JSON from clients, parsed within a budget: nesting depth, the number of values, of strings and the memory
// the document will take are counted while parsing and the parse stops as soon as one passes its limit,
// because nlohmann spends 16 bytes and more per value (a megabyte of "[0,0,0,..." would be tens of MB; 64 MB
// of short strings, 1.3 GB) and frees deep nesting recursively. A refused document is never built whole.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <string>

namespace draggan::server {

struct JsonBudget {
  size_t max_values;                // every value, keys included
  size_t max_strings = SIZE_MAX;    // string values and keys
  size_t max_bytes = SIZE_MAX;      // the built document's estimated memory (nlohmann's nodes, strings, maps)
};

// `text` as one JSON object ({} when empty). Throws InputError naming `what` when it is malformed, not an
// object, nested deeper than limits::kJsonDepth or passes `budget`.
nlohmann::json parse_json_object(const std::string& text, const JsonBudget& budget, const std::string& what);
inline nlohmann::json parse_json_object(const std::string& text, size_t max_values, const std::string& what) {
  return parse_json_object(text, JsonBudget{max_values}, what);
}

}  // namespace draggan::server
