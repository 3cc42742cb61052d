// Arrays in and out of the engine without copies. In: anything with __dlpack__ (numpy >= 1.22 arrays, torch
// tensors, ...) is taken through DLPack, sharing its memory; other sequences go through numpy.asarray first.
// Out: a numpy array viewing the tensor's memory and keeping the tensor alive; torch.from_numpy() or
// torch.from_dlpack() on it shares that memory again. Python's torch and this module load the same
// libtorch_cpu.so (Debian's python3-torch and libtorch-dev are one build), so nothing is converted either way.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <torch/torch.h>

#include <string>

namespace draggan::python {

// `what` names the argument in errors ("w", "mask"). Needs the GIL. The tensor may hold a reference to the
// Python object: drop it while holding the GIL.
torch::Tensor tensor_from_python(pybind11::handle object, const std::string& what);

// A CPU tensor's memory as a writable numpy array (a tensor on another device is copied to the CPU first).
// Hand out only tensors nothing else writes to (copies, fresh results), since the caller may write to them.
pybind11::array numpy_from_tensor(torch::Tensor tensor);

}  // namespace draggan::python
