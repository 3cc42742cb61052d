#include "draggan/io/PickleJson.h"

#include <variant>

#include "draggan/io/PickleNumpy.h"

namespace draggan {
namespace {

constexpr int kMaxDepth = 64;
// Shared (memoized) values are expanded at every use, so a hostile file could describe an exponentially large
// JSON in a few bytes; configuration is small, so a budget of values stops that early.
constexpr size_t kMaxValues = size_t{1} << 20;

std::string key_text(const PickleValue& key) {
  if (key.is_string()) return std::string(key.text);
  if (key.is(PickleValue::Kind::Int)) return std::to_string(key.int_value);
  return describe(key);
}

nlohmann::json convert(const PickleTree& tree, const PickleValue& v, int depth, size_t& budget) {
  using K = PickleValue::Kind;
  if (depth > kMaxDepth) tree.fail(v, "values nested deeper than " + std::to_string(kMaxDepth));
  if (budget-- == 0) tree.fail(v, "more than " + std::to_string(kMaxValues) + " values to convert to JSON");
  switch (v.kind) {
    case K::None:
      return nullptr;
    case K::Bool:
      return v.int_value != 0;
    case K::Int:
      return v.int_value;
    case K::Float:
      return v.float_value;
    case K::String:
      return std::string(v.text);
    case K::BigInt:
      return "<big int>";
    case K::Bytes:
    case K::ByteArray:
      return "<" + describe(v) + ">";
    case K::Global:
      return v.qualified_name();
    case K::Persistent:
      return nullptr;
    case K::Tuple:
    case K::List:
    case K::Set:
    case K::FrozenSet: {
      auto out = nlohmann::json::array();
      for (const PickleValue* item : v.items) out.push_back(convert(tree, *item, depth + 1, budget));
      return out;
    }
    case K::Dict:
    case K::Object:
      break;
  }
  if (v.is(K::Object)) {
    if (auto scalar = numpy_scalar(v)) return std::visit([](auto x) { return nlohmann::json(x); }, *scalar);
    if (v.entries.empty() && !v.items.empty()) {  // a list subclass
      auto out = nlohmann::json::array();
      for (const PickleValue* item : v.items) out.push_back(convert(tree, *item, depth + 1, budget));
      return out;
    }
    if (v.entries.empty()) {
      const std::string name = v.qualified_name();
      const bool dict_class = name == "collections.OrderedDict" || name == "dnnlib.util.EasyDict" ||
                              name == "dnnlib.EasyDict" || name == "builtins.dict";
      if (!dict_class) return {{"__object__", name.empty() ? "?" : name}};
    }
  }
  auto out = nlohmann::json::object();
  for (const auto& [key, value] : v.entries) out[key_text(*key)] = convert(tree, *value, depth + 1, budget);
  return out;
}

}  // namespace

nlohmann::json pickle_to_json(const PickleTree& tree, const PickleValue& value) {
  size_t budget = kMaxValues;
  return convert(tree, value, 0, budget);
}

}  // namespace draggan
