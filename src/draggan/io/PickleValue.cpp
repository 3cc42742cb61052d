#include "draggan/io/PickleValue.h"

#include "draggan/core/Error.h"

namespace draggan {
namespace {

// Every opcode makes at most one node, so the file size already bounds the count; this cap only keeps a
// hostile file of one-byte opcodes from costing ~100x its size in memory.
constexpr size_t kMaxNodes = size_t{1} << 25;

std::string quoted(std::string_view s, size_t max_len = 60) {
  std::string out = "'";
  for (char c : s.substr(0, max_len)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > max_len) out += "...";
  return out + "'";
}

}  // namespace

const std::vector<std::pair<PickleValue*, PickleValue*>>* PickleValue::dict_entries() const {
  // Dict subclasses (OrderedDict, EasyDict) arrive as objects whose items were added by SETITEM(S).
  if (kind == Kind::Dict || kind == Kind::Object) return &entries;
  return nullptr;
}

const PickleValue* PickleValue::get(std::string_view key) const {
  const auto* e = dict_entries();
  if (!e) return nullptr;
  for (auto it = e->rbegin(); it != e->rend(); ++it)
    if (it->first->kind == Kind::String && it->first->text == key) return it->second;
  return nullptr;
}

const PickleValue* PickleValue::object_class() const {
  if (kind != Kind::Object || !callable) return nullptr;
  // Protocol 0/1 objects: copyreg._reconstructor(cls, base, state); protocol 2 via __reduce_ex__: __newobj__(cls, ...).
  if ((callable->is_global("copyreg", "_reconstructor") || callable->is_global("copy_reg", "_reconstructor") ||
       callable->is_global("copyreg", "__newobj__")) &&
      args && args->kind == Kind::Tuple && !args->items.empty())
    return args->items[0];
  return callable;
}

std::string PickleValue::qualified_name() const {
  if (kind == Kind::Global) return std::string(text) + "." + std::string(name);
  if (kind == Kind::Object) {
    const PickleValue* cls = object_class();
    if (cls && cls->kind == Kind::Global) return cls->qualified_name();
  }
  return {};
}

const char* kind_name(PickleValue::Kind kind) {
  using K = PickleValue::Kind;
  switch (kind) {
    case K::None: return "None";
    case K::Bool: return "bool";
    case K::Int: return "int";
    case K::BigInt: return "big int";
    case K::Float: return "float";
    case K::String: return "str";
    case K::Bytes: return "bytes";
    case K::ByteArray: return "bytearray";
    case K::Tuple: return "tuple";
    case K::List: return "list";
    case K::Dict: return "dict";
    case K::Set: return "set";
    case K::FrozenSet: return "frozenset";
    case K::Global: return "global";
    case K::Object: return "object";
    case K::Persistent: return "persistent id";
  }
  return "?";
}

std::string describe(const PickleValue& v) {
  using K = PickleValue::Kind;
  switch (v.kind) {
    case K::Bool: return v.int_value ? "True" : "False";
    case K::Int: return "int " + std::to_string(v.int_value);
    case K::Float: return "float " + std::to_string(v.float_value);
    case K::String: return "str " + quoted(v.text);
    case K::Bytes:
    case K::ByteArray: return std::string(kind_name(v.kind)) + " of length " + std::to_string(v.text.size());
    case K::Tuple:
    case K::List:
    case K::Set:
    case K::FrozenSet: return std::string(kind_name(v.kind)) + " of " + std::to_string(v.items.size());
    case K::Dict: return "dict of " + std::to_string(v.entries.size());
    case K::Global: return "global " + v.qualified_name();
    case K::Object: {
      std::string q = v.qualified_name();
      return q.empty() ? "object" : "object " + q;
    }
    default: return kind_name(v.kind);
  }
}

PickleTree::PickleTree(std::string data, std::string origin)
    : origin_(std::move(origin)) {
  auto owned = std::make_shared<const std::string>(std::move(data));
  data_ = *owned;
  owner_ = std::move(owned);
}

PickleTree::PickleTree(std::shared_ptr<const void> owner, std::string_view data, std::string origin)
    : owner_(std::move(owner)), data_(data), origin_(std::move(origin)) {}

PickleValue* PickleTree::make(PickleValue::Kind kind, size_t offset) {
  if (nodes_.size() >= kMaxNodes) fail(offset, "more than " + std::to_string(kMaxNodes) + " values");
  nodes_.emplace_back();
  PickleValue* v = &nodes_.back();
  v->kind = kind;
  v->offset = offset;
  return v;
}

std::string_view PickleTree::keep(std::string text) {
  kept_.push_back(std::move(text));
  return kept_.back();
}

std::string PickleTree::at(size_t offset, const std::string& message) const {
  return origin_ + ": offset " + std::to_string(offset) + ": " + message;
}

void PickleTree::fail(size_t offset, const std::string& message) const { throw CheckpointError(at(offset, message)); }

size_t PickleTree::offset_of(std::string_view view) const {
  const char* begin = data_.data();
  if (view.data() < begin || view.data() > begin + data_.size()) return std::string::npos;
  return static_cast<size_t>(view.data() - begin);
}

}  // namespace draggan
