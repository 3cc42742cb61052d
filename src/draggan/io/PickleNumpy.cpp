#include "draggan/io/PickleNumpy.h"

#include <c10/util/Half.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace draggan {
namespace {

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

}  // namespace

std::optional<NumpyScalar> numpy_scalar(const PickleValue& v) {
  if (v.kind != PickleValue::Kind::Object || !is_numpy_global(v.callable, "scalar") || !v.args ||
      v.args->items.size() != 2)
    return std::nullopt;
  const PickleValue& dtype = *v.args->items[0];
  const PickleValue& data = *v.args->items[1];
  if (!dtype.is(PickleValue::Kind::Object) || !is_numpy_global(dtype.callable, "dtype") || !dtype.args ||
      dtype.args->items.empty() || !dtype.args->items[0]->is_string() || !data.is(PickleValue::Kind::Bytes))
    return std::nullopt;
  const std::string code(dtype.args->items[0]->text);
  // dtype state: (version, byte order, ...); '>' is the only order that needs swapping.
  std::string bytes(data.text);
  const PickleValue* state = dtype.state;
  if (state && state->is(PickleValue::Kind::Tuple) && state->items.size() > 1 &&
      state->items[1]->is_string() && state->items[1]->text == ">")
    std::reverse(bytes.begin(), bytes.end());
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

}  // namespace draggan
