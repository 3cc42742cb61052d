// NumPy scalars as pickled by numpy: `numpy.core.multiarray.scalar(numpy.dtype('f8', ...) + BUILD(state),
// raw bytes)`, e.g. the float64 `weight_gain` attributes in NVIDIA snapshots.
#pragma once
#include <optional>
#include <variant>

#include "draggan/io/PickleValue.h"

namespace draggan {

using NumpyScalar = std::variant<double, int64_t, uint64_t, bool>;

// The value of a numpy scalar object (float16/32/64, signed and unsigned ints, bool); nullopt when `v` is not
// one or its dtype is something else. Malformed bytes (wrong length) also give nullopt.
std::optional<NumpyScalar> numpy_scalar(const PickleValue& v);

}  // namespace draggan
