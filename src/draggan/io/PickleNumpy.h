// NumPy objects as numpy pickles them, read without running numpy:
//  - scalars: `numpy.core.multiarray.scalar(numpy.dtype('f8', ...) + BUILD(state), raw bytes)`, e.g. the
//  float64
//    `weight_gain` attributes in NVIDIA snapshots or the 0-d variables of TensorFlow network pickles;
//  - arrays: `numpy.core.multiarray._reconstruct(numpy.ndarray, (0,), b'b')` + BUILD((version, shape, dtype,
//    is_fortran, raw bytes)), e.g. every variable of a TensorFlow network pickle.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "draggan/io/PickleValue.h"

namespace draggan {

using NumpyScalar = std::variant<double, int64_t, uint64_t, bool>;

// The value of a numpy scalar object (float16/32/64, signed and unsigned ints, bool); nullopt when `v` is not
// one or its dtype is something else. Malformed bytes (wrong length) also give nullopt.
std::optional<NumpyScalar> numpy_scalar(const PickleValue& v);

// A numpy.ndarray described by a pickle; `data` views exactly numel * itemsize bytes owned by the tree.
struct NumpyArray {
  torch::ScalarType dtype = torch::kFloat;
  std::vector<int64_t> shape;
  bool fortran_order = false;
  bool big_endian = false;
  std::string_view data;

  int64_t numel() const;
  // The array as a tensor of `shape` (logical C order) and `dtype`. Little-endian data is viewed in place (no
  // copy; an element may sit at any byte address, which the CPU kernels read unaligned), so the view is valid
  // only while the tree lives: copy what you keep. Big-endian data is byte-swapped into a new tensor.
  torch::Tensor tensor() const;
};

// Is `v` a pickled numpy.ndarray (by its reconstruct call; the state is not checked)?
bool is_numpy_array(const PickleValue& v);

// The array `v` describes. CheckpointError naming the tree's origin and `v`'s offset when it is not a
// well-formed array of a supported dtype (float16/32/64, int8/16/32/64, uint8, bool): a shape that is not a
// tuple of non-negative ints, a byte count other than numel * itemsize, object arrays, and so on. `context`
// (e.g. "Gs: variable 'lod'") starts each message.
NumpyArray numpy_array(PickleTree& tree, const PickleValue& v, const std::string& context = "");

}  // namespace draggan
