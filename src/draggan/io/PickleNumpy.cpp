#include "draggan/io/PickleNumpy.h"

#include <c10/util/Half.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>

#include "draggan/io/PickleText.h"

namespace draggan {
namespace {

using Kind = PickleValue::Kind;

// Deeper arrays than numpy allows (64) are not arrays anyone pickled.
constexpr size_t kMaxDims = 64;

bool is_numpy_global(const PickleValue* g, std::string_view name) {
  // numpy 2 moved numpy.core to numpy._core; pickles name whichever wrote them.
  return g && (g->is_global("numpy.core.multiarray", name) || g->is_global("numpy._core.multiarray", name) ||
               g->is_global("numpy", name));
}

template <typename T>
T load(std::string_view bytes) {
  T v;
  std::memcpy(&v, bytes.data(), sizeof v);
  return v;
}

struct Dtype {
  std::string code;  // numpy's type code without byte order: "f4", "i8", "b1", ...
  bool big_endian = false;
};

// `numpy.dtype(code, align, copy)` + BUILD((version, byte order, ...)); nullopt when `v` is not one.
std::optional<Dtype> numpy_dtype(const PickleValue& v) {
  if (!v.is(Kind::Object) || !is_numpy_global(v.callable, "dtype") || !v.args || v.args->items.empty() ||
      !v.args->items[0]->is_string())
    return std::nullopt;
  Dtype d;
  d.code = std::string(v.args->items[0]->text);
  const PickleValue* state = v.state;
  if (state && state->is(Kind::Tuple) && state->items.size() > 1 && state->items[1]->is_string())
    d.big_endian = state->items[1]->text == ">";
  return d;
}

std::optional<torch::ScalarType> array_dtype(const std::string& code) {
  if (code == "f4") return torch::kFloat;
  if (code == "f8") return torch::kDouble;
  if (code == "f2") return torch::kHalf;
  if (code == "i8") return torch::kLong;
  if (code == "i4") return torch::kInt;
  if (code == "i2") return torch::kShort;
  if (code == "i1") return torch::kChar;
  if (code == "u1") return torch::kByte;
  if (code == "b1") return torch::kBool;
  return std::nullopt;
}

// The raw bytes of an array: bytes (protocol 3+) or, from protocols 0-2, _codecs.encode(str, 'latin1').
std::optional<std::string_view> array_bytes(PickleTree& tree, const PickleValue& v) {
  if (v.is(Kind::Bytes) || v.is(Kind::ByteArray)) return v.text;
  if (v.is_call_of("_codecs", "encode") && v.args->items.size() == 2 && v.args->items[0]->is_string()) {
    if (auto latin = pickle_text::utf8_to_latin1(v.args->items[0]->text)) return tree.keep(std::move(*latin));
  }
  return std::nullopt;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s;
  for (int64_t d : shape) s += (s.empty() ? "" : ", ") + std::to_string(d);
  return "[" + s + "]";
}

}  // namespace

std::optional<NumpyScalar> numpy_scalar(const PickleValue& v) {
  if (v.kind != Kind::Object || !is_numpy_global(v.callable, "scalar") || !v.args ||
      v.args->items.size() != 2)
    return std::nullopt;
  const std::optional<Dtype> dtype = numpy_dtype(*v.args->items[0]);
  const PickleValue& data = *v.args->items[1];
  if (!dtype || !data.is(Kind::Bytes)) return std::nullopt;
  const std::string& code = dtype->code;
  std::string bytes(data.text);
  if (dtype->big_endian) std::reverse(bytes.begin(), bytes.end());
  const size_t n = bytes.size();
  if (code == "f8" && n == 8) return load<double>(bytes);
  if (code == "f4" && n == 4) return static_cast<double>(load<float>(bytes));
  if (code == "f2" && n == 2)
    return static_cast<double>(c10::Half(load<uint16_t>(bytes), c10::Half::from_bits()));
  if (code == "i8" && n == 8) return load<int64_t>(bytes);
  if (code == "i4" && n == 4) return static_cast<int64_t>(load<int32_t>(bytes));
  if (code == "i2" && n == 2) return static_cast<int64_t>(load<int16_t>(bytes));
  if (code == "i1" && n == 1) return static_cast<int64_t>(load<int8_t>(bytes));
  if (code == "u8" && n == 8) return load<uint64_t>(bytes);
  if (code == "u4" && n == 4) return static_cast<uint64_t>(load<uint32_t>(bytes));
  if (code == "u2" && n == 2) return static_cast<uint64_t>(load<uint16_t>(bytes));
  if (code == "u1" && n == 1) return static_cast<uint64_t>(load<uint8_t>(bytes));
  if (code == "b1" && n == 1) return bytes[0] != 0;
  return std::nullopt;
}

int64_t NumpyArray::numel() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
}

torch::Tensor NumpyArray::tensor() const {
  const auto options = torch::TensorOptions().dtype(dtype);
  if (numel() == 0) return torch::empty(shape, options);
  // Fortran order is C order of the reversed shape; a permutation turns it back into a view of `shape`.
  std::vector<int64_t> stored = shape;
  if (fortran_order) std::reverse(stored.begin(), stored.end());
  torch::Tensor t;
  const size_t item = torch::elementSize(dtype);
  if (big_endian && item > 1) {
    t = torch::empty(stored, options);
    auto* out = static_cast<char*>(t.data_ptr());
    for (size_t k = 0; k < data.size(); k += item)
      std::reverse_copy(data.data() + k, data.data() + k + item, out + k);
  } else {
    // The tree's bytes are never written through this view.
    t = torch::from_blob(const_cast<char*>(data.data()), stored, options);
  }
  if (!fortran_order) return t;
  std::vector<int64_t> reverse(shape.size());
  std::iota(reverse.rbegin(), reverse.rend(), int64_t{0});
  return t.permute(reverse);
}

bool is_numpy_array(const PickleValue& v) {
  return v.is(Kind::Object) && is_numpy_global(v.callable, "_reconstruct") && v.args &&
         v.args->items.size() == 3 && is_numpy_global(v.args->items[0], "ndarray");
}

NumpyArray numpy_array(PickleTree& tree, const PickleValue& v, const std::string& context) {
  const std::string at = context.empty() ? "" : context + ": ";
  if (!is_numpy_array(v)) tree.fail(v, at + describe(v) + " is not a numpy array");
  const PickleValue* state = v.state;
  // ndarray.__setstate__ takes (version, shape, dtype, is_fortran, data); very old numpy left out the
  // version.
  if (!state || !state->is(Kind::Tuple) || (state->items.size() != 5 && state->items.size() != 4))
    tree.fail(v, at + "numpy array state is " + (state ? describe(*state) : std::string("missing")) +
                     ", expected (version, shape, dtype, is_fortran, data)");
  const size_t first = state->items.size() - 4;
  const PickleValue& shape = *state->items[first];
  const PickleValue& dtype = *state->items[first + 1];
  const PickleValue& fortran = *state->items[first + 2];
  const PickleValue& data = *state->items[first + 3];

  NumpyArray a;
  if (!shape.is(Kind::Tuple))
    tree.fail(shape, at + "numpy array shape is " + describe(shape) + ", expected a tuple");
  if (shape.items.size() > kMaxDims)
    tree.fail(shape, at + "numpy array has " + std::to_string(shape.items.size()) + " dimensions");
  for (const PickleValue* d : shape.items) {
    if (!d->is(Kind::Int) || d->int_value < 0)
      tree.fail(*d, at + "numpy array dimension is " + describe(*d) + ", expected a non-negative int");
    a.shape.push_back(d->int_value);
  }
  const std::optional<Dtype> dt = numpy_dtype(dtype);
  if (!dt) tree.fail(dtype, at + "numpy array dtype is " + describe(dtype) + ", expected a numpy.dtype");
  const std::optional<torch::ScalarType> scalar = array_dtype(dt->code);
  if (!scalar)
    tree.fail(dtype, at + "numpy array dtype '" + dt->code.substr(0, 20) +
                         "' is not supported (float16/32/64, int8..int64, uint8, bool)");
  a.dtype = *scalar;
  a.big_endian = dt->big_endian;
  if (!fortran.is(Kind::Bool) && !fortran.is(Kind::Int))
    tree.fail(fortran, at + "numpy array is_fortran flag is " + describe(fortran) + ", expected a bool");
  a.fortran_order = fortran.int_value != 0;
  const std::optional<std::string_view> bytes = array_bytes(tree, data);
  if (!bytes) tree.fail(data, at + "numpy array data is " + describe(data) + ", expected bytes");
  a.data = *bytes;

  // The bytes are in the file, so their length bounds every honest shape; stop multiplying once past it.
  const uint64_t item = torch::elementSize(a.dtype);
  uint64_t need = item;
  for (int64_t d : a.shape) {
    if (d == 0) {
      need = 0;
      break;
    }
    need = need > a.data.size() / static_cast<uint64_t>(d) ? a.data.size() + 1 : need * d;
  }
  if (need != a.data.size())
    tree.fail(
        data,
        at + "numpy array of shape " + shape_text(a.shape) + " and dtype '" + dt->code + "' needs " +
            (need > a.data.size() ? "more than " + std::to_string(a.data.size()) : std::to_string(need)) +
            " bytes, the pickle holds " + std::to_string(a.data.size()));
  return a;
}

}  // namespace draggan
