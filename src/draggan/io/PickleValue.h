// The value tree a pickle describes, built without running anything: objects stay as "callable + args +
// state" records, so interpreting them (torch tensors, numpy scalars, NVIDIA persistence) is the job of small
// rebuilders on top (TorchPickle, PickleNumpy, NvidiaPickle), not of the reader.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace draggan {

struct PickleValue {
  enum class Kind : uint8_t {
    None,
    Bool,
    Int,        // fits in int64
    BigInt,     // LONG1/LONG4 beyond int64: `text` holds the little-endian two's complement bytes
    Float,
    String,
    Bytes,
    ByteArray,
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
    Global,     // a (module, name) reference from GLOBAL / STACK_GLOBAL / INST
    Object,     // REDUCE / NEWOBJ / NEWOBJ_EX / INST / OBJ result; BUILD sets `state`
    Persistent  // PERSID / BINPERSID without a callback: `args` is the persistent id
  };
  // How an Object was made; matters to rebuilders (NEWOBJ means cls.__new__(cls, *args)).
  enum class Construct : uint8_t { Reduce, NewObj, Inst };

  Kind kind = Kind::None;
  Construct construct = Construct::Reduce;
  size_t offset = 0;  // file offset of the opcode that created the value, for error messages

  int64_t int_value = 0;    // Bool (0/1), Int
  double float_value = 0;   // Float
  std::string_view text;    // String, Bytes, ByteArray, BigInt; Global: module
  std::string_view name;    // Global: attribute name

  std::vector<PickleValue*> items;                              // Tuple/List/Set; Object: APPEND(S) items
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;  // Dict; Object: SETITEM(S) items (dict subclasses)

  PickleValue* callable = nullptr;  // Object: the class or function called
  PickleValue* args = nullptr;      // Object: the argument tuple; Persistent: the persistent id
  PickleValue* kwargs = nullptr;    // Object from NEWOBJ_EX: the keyword dict
  PickleValue* state = nullptr;     // Object: the BUILD argument (null when never built)

  bool is(Kind k) const { return kind == k; }
  bool is_none() const { return kind == Kind::None; }
  bool is_string() const { return kind == Kind::String; }
  bool is_sequence() const { return kind == Kind::Tuple || kind == Kind::List; }
  bool is_global(std::string_view module, std::string_view attr) const {
    return kind == Kind::Global && text == module && name == attr;
  }
  // For an Object: is the callable the global module.attr?
  bool is_call_of(std::string_view module, std::string_view attr) const {
    return kind == Kind::Object && callable && callable->is_global(module, attr);
  }
  // Key/value pairs of a dict or of a dict-like object (OrderedDict, EasyDict): null for anything else.
  const std::vector<std::pair<PickleValue*, PickleValue*>>* dict_entries() const;
  // Value for a string key (last assignment wins, as in Python), or null.
  const PickleValue* get(std::string_view key) const;
  // The class of an object, looking through copyreg._reconstructor / copyreg.__newobj__: null if unknown.
  const PickleValue* object_class() const;
  // "module.name" of a Global, or of an Object's class; empty when unknown.
  std::string qualified_name() const;
};

const char* kind_name(PickleValue::Kind kind);
// A short human description for error messages: "str 'abc'", "int 5", "tuple of 3", "object torch._utils._rebuild_tensor_v2".
std::string describe(const PickleValue& value);

// Owns the file bytes and every node; nodes point at each other and at the bytes (no copies of tensor data),
// so a tree is neither copyable nor movable. Memo sharing and cycles are harmless: nothing is reference counted.
class PickleTree {
 public:
  PickleTree(std::string data, std::string origin);
  // Bytes someone else owns (a mapped file): `owner` keeps `data` alive as long as the tree.
  PickleTree(std::shared_ptr<const void> owner, std::string_view data, std::string origin);
  PickleTree(const PickleTree&) = delete;
  PickleTree& operator=(const PickleTree&) = delete;

  std::string_view data() const { return data_; }
  const std::string& origin() const { return origin_; }
  const PickleValue* root() const { return root_; }
  void set_root(const PickleValue* root) { root_ = root; }

  PickleValue* make(PickleValue::Kind kind, size_t offset);
  // Keeps a string alive as long as the tree (for text that had to be decoded, not viewed).
  std::string_view keep(std::string text);
  size_t node_count() const { return nodes_.size(); }

  // "<origin>: offset N: <message>"
  std::string at(size_t offset, const std::string& message) const;
  [[noreturn]] void fail(size_t offset, const std::string& message) const;
  [[noreturn]] void fail(const PickleValue& value, const std::string& message) const { fail(value.offset, message); }

  // Byte offset of `view` inside data(), or npos when it points elsewhere.
  size_t offset_of(std::string_view view) const;

 private:
  std::shared_ptr<const void> owner_;
  std::string_view data_;
  std::string origin_;
  std::deque<PickleValue> nodes_;
  std::deque<std::string> kept_;
  const PickleValue* root_ = nullptr;
};

}  // namespace draggan
