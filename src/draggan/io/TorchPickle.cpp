#include "draggan/io/TorchPickle.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "draggan/core/Error.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/PickleText.h"

// Storage bytes are copied as they are: torch.save writes the saving machine's order, which is little-endian
// everywhere torch runs in practice (sys_info says so and is checked).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "storage bytes are read as little-endian");

namespace draggan {
namespace {

using Kind = PickleValue::Kind;

// The legacy torch.save magic number 0x1950a86a20f9469cfc6c, as LONG1 stores it.
constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocol = 1001;
constexpr size_t kMaxDims = 64;
// Far beyond any real tensor; keeps element counts of stride-0 views from overflowing int64.
constexpr int64_t kMaxViewElements = int64_t{1} << 40;
// _rebuild_parameter(_rebuild_parameter(...)) chains in a hostile file must not exhaust the C++ stack.
constexpr int kMaxRebuildDepth = 16;

std::optional<torch::ScalarType> dtype_of_storage_type(const PickleValue& type) {
  if (!type.is(Kind::Global)) return std::nullopt;
  if (type.text != "torch" && type.text != "torch.cuda" && type.text != "torch.storage") return std::nullopt;
  static const std::map<std::string_view, torch::ScalarType> kTypes = {
      {"FloatStorage", torch::kFloat},
      {"HalfStorage", torch::kHalf},
      {"DoubleStorage", torch::kDouble},
      {"BFloat16Storage", torch::kBFloat16},
      {"LongStorage", torch::kLong},
      {"IntStorage", torch::kInt},
      {"ShortStorage", torch::kShort},
      {"ByteStorage", torch::kByte},
      {"CharStorage", torch::kChar},
      {"BoolStorage", torch::kBool},
      {"UntypedStorage", torch::kByte},
      {"_UntypedStorage", torch::kByte},
      // torch.package and a few writers name the dtype itself.
      {"float32", torch::kFloat},
      {"float", torch::kFloat},
      {"float16", torch::kHalf},
      {"half", torch::kHalf},
      {"float64", torch::kDouble},
      {"double", torch::kDouble},
      {"bfloat16", torch::kBFloat16},
      {"int64", torch::kLong},
      {"long", torch::kLong},
      {"int32", torch::kInt},
      {"int", torch::kInt},
      {"int16", torch::kShort},
      {"uint8", torch::kByte},
      {"int8", torch::kChar},
      {"bool", torch::kBool}};
  auto it = kTypes.find(type.name);
  if (it == kTypes.end()) return std::nullopt;
  return it->second;
}

int64_t nonnegative_int(const PickleTree& tree, const PickleValue& v, const std::string& what) {
  if (!v.is(Kind::Int) || v.int_value < 0)
    tree.fail(v, what + " is " + describe(v) + ", expected an int >= 0");
  return v.int_value;
}

std::vector<int64_t> int_tuple(const PickleTree& tree, const PickleValue& v, const std::string& what) {
  if (!v.is_sequence()) tree.fail(v, what + " is " + describe(v) + ", expected a tuple of ints");
  if (v.items.size() > kMaxDims)
    tree.fail(v, what + " has " + std::to_string(v.items.size()) + " dimensions");
  std::vector<int64_t> out;
  for (const PickleValue* item : v.items) out.push_back(nonnegative_int(tree, *item, what + " entry"));
  return out;
}

// Elements a view touches must lie inside the storage: offset + sum((size-1)*stride) < numel.
void check_view(const PickleTree& tree, const PickleValue& where, const std::vector<int64_t>& size,
                const std::vector<int64_t>& stride, int64_t offset, int64_t numel) {
  if (size.size() != stride.size())
    tree.fail(where, "tensor size has " + std::to_string(size.size()) + " dimensions but stride has " +
                         std::to_string(stride.size()));
  __int128 last = offset, count = 1;
  bool empty = false;
  for (size_t d = 0; d < size.size(); ++d) {
    if (size[d] == 0)
      empty = true;
    else
      last += static_cast<__int128>(size[d] - 1) * stride[d];
    count = std::min<__int128>(count * size[d], __int128{kMaxViewElements} + 1);
  }
  if (count > kMaxViewElements) tree.fail(where, "tensor view has more than 2^40 elements");
  const bool ok = empty ? offset <= numel : last < numel;
  if (!ok) {
    std::string dims;
    for (int64_t s : size) dims += (dims.empty() ? "" : ", ") + std::to_string(s);
    tree.fail(where, "tensor view (size [" + dims + "], storage offset " + std::to_string(offset) +
                         ") reaches past its storage of " + std::to_string(numel) + " elements");
  }
}

std::string_view bytes_argument(PickleTree& tree, const PickleValue& v) {
  if (v.is(Kind::Bytes) || v.is(Kind::ByteArray)) return v.text;
  // Protocols 0-2 pickle bytes as _codecs.encode(str, 'latin1').
  if (v.is_call_of("_codecs", "encode") && v.args->items.size() == 2 && v.args->items[0]->is_string()) {
    if (auto latin = pickle_text::utf8_to_latin1(v.args->items[0]->text)) return tree.keep(std::move(*latin));
  }
  tree.fail(v, "_load_from_bytes argument is " + describe(v) + ", expected bytes");
}

int64_t read_i64(const PickleTree& tree, std::string_view data, size_t& pos, size_t base) {
  if (data.size() - pos < 8) tree.fail(base + pos, "storage size runs past the end of the stream");
  int64_t v;
  std::memcpy(&v, data.data() + pos, 8);
  pos += 8;
  return v;
}

}  // namespace

StorageRef parse_storage_ref(const PickleTree& tree, const PickleValue& pid) {
  if (!pid.is(Kind::Tuple) || pid.items.size() < 5 || !pid.items[0]->is_string() ||
      pid.items[0]->text != "storage")
    tree.fail(pid, "persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
  StorageRef ref;
  const PickleValue& type = *pid.items[1];
  auto dtype = dtype_of_storage_type(type);
  if (!dtype) tree.fail(type, "unsupported storage type " + describe(type));
  ref.dtype = *dtype;
  const PickleValue& key = *pid.items[2];
  if (!key.is_string()) tree.fail(key, "storage key is " + describe(key) + ", expected a str");
  ref.key = key.text;
  ref.numel = nonnegative_int(tree, *pid.items[4], "storage numel");
  if (pid.items.size() > 5 && !pid.items[5]->is_none()) ref.view_metadata = pid.items[5];
  return ref;
}

TorchTensors::TorchTensors(PickleTree& tree, StorageLoader loader)
    : tree_(tree), loader_(std::move(loader)) {}

bool TorchTensors::is_tensor(const PickleValue& v) {
  if (!v.is(Kind::Object) || !v.callable || !v.callable->is(Kind::Global)) return false;
  const std::string_view m = v.callable->text, n = v.callable->name;
  return (m == "torch._utils" && (n == "_rebuild_tensor_v2" || n == "_rebuild_tensor" ||
                                  n == "_rebuild_parameter" || n == "_rebuild_parameter_with_state")) ||
         (m == "torch._tensor" && n == "_rebuild_from_type_v2");
}

torch::Tensor TorchTensors::tensor(const PickleValue& v) {
  if (auto it = tensors_.find(&v); it != tensors_.end()) return it->second;
  if (!is_tensor(v)) tree_.fail(v, "expected a tensor, found " + describe(v));
  if (depth_ >= kMaxRebuildDepth) tree_.fail(v, "tensor rebuild calls nested too deep");
  ++depth_;
  torch::Tensor t;
  try {
    t = call(v, *v.callable, *v.args);
  } catch (const c10::Error& e) {
    --depth_;
    tree_.fail(v, std::string("torch refused the tensor: ") + e.what_without_backtrace());
  } catch (...) {
    --depth_;
    throw;
  }
  --depth_;
  tensors_[&v] = t;
  return t;
}

torch::Tensor TorchTensors::call(const PickleValue& where, const PickleValue& callable,
                                 const PickleValue& args) {
  const std::string_view n = callable.name;
  const auto& a = args.items;
  auto need = [&](size_t count) {
    if (!args.is(Kind::Tuple) || a.size() < count)
      tree_.fail(where, callable.qualified_name() + " with " + describe(args) + ", expected at least " +
                            std::to_string(count) + " arguments");
  };
  if (callable.is_global("torch._utils", "_rebuild_parameter") ||
      callable.is_global("torch._utils", "_rebuild_parameter_with_state")) {
    need(1);
    return tensor(*a[0]);
  }
  if (callable.is_global("torch._tensor", "_rebuild_from_type_v2")) {
    // (func, type, args, state): a Tensor subclass; the plain tensor is func(*args).
    need(3);
    if (!a[0]->is(Kind::Global) || !a[2]->is(Kind::Tuple))
      tree_.fail(where, "_rebuild_from_type_v2 with a malformed function or argument tuple");
    if (!a[0]->is_global("torch._utils", "_rebuild_tensor_v2") &&
        !a[0]->is_global("torch._utils", "_rebuild_tensor"))
      tree_.fail(where, "unsupported tensor rebuild function " + a[0]->qualified_name());
    return call(where, *a[0], *a[2]);
  }
  if (n == "_rebuild_tensor_v2" || n == "_rebuild_tensor") {
    need(4);
    torch::Tensor st = storage(*a[0]);
    const int64_t offset = nonnegative_int(tree_, *a[1], "storage offset");
    const std::vector<int64_t> size = int_tuple(tree_, *a[2], "tensor size");
    const std::vector<int64_t> stride = int_tuple(tree_, *a[3], "tensor stride");
    check_view(tree_, where, size, stride, offset, st.numel());
    return st.as_strided(size, stride, st.storage_offset() + offset);
  }
  tree_.fail(where, "unsupported tensor rebuild function " + callable.qualified_name());
}

torch::Tensor TorchTensors::storage(const PickleValue& v) {
  if (auto it = storages_.find(&v); it != storages_.end()) return it->second;
  torch::Tensor st;
  if (v.is_call_of("torch.storage", "_load_from_bytes")) {
    st = load_from_bytes(v);
  } else if (v.is(Kind::Persistent) && loader_) {
    const StorageRef ref = parse_storage_ref(tree_, *v.args);
    st = loader_(ref, *v.args);
    if (st.scalar_type() != ref.dtype || st.dim() != 1 || st.numel() != ref.numel)
      tree_.fail(v, "storage '" + std::string(ref.key) + "' does not hold " + std::to_string(ref.numel) +
                        " elements of its type");
  } else {
    tree_.fail(v, "tensor storage is " + describe(v) + ", expected a storage");
  }
  storages_[&v] = st;
  return st;
}

torch::Tensor TorchTensors::load_from_bytes(const PickleValue& call) {
  if (call.args->items.size() != 1) tree_.fail(call, "_load_from_bytes takes one bytes argument");
  const std::string_view bytes = bytes_argument(tree_, *call.args->items[0]);
  size_t base = tree_.offset_of(bytes);
  if (base == std::string::npos) base = call.offset;
  const PickleValue* root = read_legacy_torch_stream(*this, bytes, base);
  if (!root->is(Kind::Persistent))
    tree_.fail(*root, "_load_from_bytes stream holds " + describe(*root) + ", not a storage");
  auto it = storages_.find(root);
  if (it == storages_.end()) tree_.fail(*root, "storage of the _load_from_bytes stream has no data");
  return it->second;
}

const PickleValue* read_legacy_torch_stream(TorchTensors& tensors, std::string_view data, size_t base,
                                            size_t* consumed) {
  PickleTree& tree = tensors.tree();
  size_t pos = 0;
  auto next = [&](const PickleReadOptions& options = {}) {
    size_t used = 0;
    PickleValue* v = read_pickle(tree, data.substr(pos), base + pos, &used, options);
    pos += used;
    return v;
  };
  const PickleValue* magic = next();
  if (!magic->is(Kind::BigInt) ||
      magic->text != std::string_view(reinterpret_cast<const char*>(kLegacyMagic), 10))
    tree.fail(*magic, "not a torch.save stream (magic number missing)");
  const PickleValue* protocol = next();
  if (!protocol->is(Kind::Int) || protocol->int_value != kLegacyProtocol)
    tree.fail(*protocol, "unsupported torch.save protocol version " + describe(*protocol));
  const PickleValue* sys_info = next();
  if (const PickleValue* little = sys_info->get("little_endian");
      little && !(little->is(Kind::Bool) && little->int_value))
    tree.fail(*sys_info, "big-endian torch.save streams are not supported");

  // The object pickle names storages by persistent id; their bytes follow, in the order of the key list.
  std::vector<std::pair<PickleValue*, StorageRef>> refs;
  PickleReadOptions options;
  options.persistent_load = [&](PickleTree& t, PickleValue* pid) {
    PickleValue* node = t.make(Kind::Persistent, pid->offset);
    node->args = pid;
    refs.emplace_back(node, parse_storage_ref(t, *pid));
    return node;
  };
  const PickleValue* object = next(options);
  const PickleValue* keys = next();
  if (!keys->is_sequence()) tree.fail(*keys, "storage key list is " + describe(*keys) + ", expected a list");

  std::map<std::string_view, const StorageRef*> ref_of;
  for (const auto& r : refs) ref_of.emplace(r.second.key, &r.second);
  std::map<std::string_view, torch::Tensor> by_key;
  for (const PickleValue* key : keys->items) {
    if (!key->is_string()) tree.fail(*key, "storage key is " + describe(*key) + ", expected a str");
    auto found = ref_of.find(key->text);
    const StorageRef* ref = found == ref_of.end() ? nullptr : found->second;
    if (!ref) tree.fail(*key, "storage key '" + std::string(key->text) + "' is not used by the pickle");
    const size_t at = pos;
    const int64_t count = read_i64(tree, data, pos, base);
    const auto item = static_cast<int64_t>(c10::elementSize(ref->dtype));
    if (count < 0 || static_cast<uint64_t>(count) > (data.size() - pos) / item)
      tree.fail(base + at, "storage '" + std::string(key->text) + "' of " + std::to_string(count) +
                               " elements (" + std::to_string(item) + " bytes each) exceeds the " +
                               std::to_string(data.size() - pos) + " bytes left");
    torch::Tensor st = torch::empty({count}, torch::TensorOptions().dtype(ref->dtype));
    if (count > 0) std::memcpy(st.data_ptr(), data.data() + pos, static_cast<size_t>(count * item));  // empty: no pointer
    pos += static_cast<size_t>(count * item);
    by_key[key->text] = st;
  }
  for (const auto& [node, ref] : refs) {
    auto it = by_key.find(ref.key);
    if (it == by_key.end()) tree.fail(*node, "storage '" + std::string(ref.key) + "' has no data");
    torch::Tensor st = it->second;
    if (st.scalar_type() != ref.dtype)
      tree.fail(*node, "storage '" + std::string(ref.key) + "' used with two types");
    if (ref.view_metadata) {
      // (view_key, offset, size): a slice of the root storage, from torch versions before 1.0.
      const PickleValue& vm = *ref.view_metadata;
      if (!vm.is(Kind::Tuple) || vm.items.size() != 3) tree.fail(vm, "malformed storage view metadata");
      const int64_t off = nonnegative_int(tree, *vm.items[1], "storage view offset");
      const int64_t len = nonnegative_int(tree, *vm.items[2], "storage view size");
      if (off > st.numel() || len > st.numel() - off) tree.fail(vm, "storage view reaches past its storage");
      st = st.narrow(0, off, len);
    }
    tensors.set_storage(node, st);
  }
  if (consumed) *consumed = pos;
  return object;
}

}  // namespace draggan
