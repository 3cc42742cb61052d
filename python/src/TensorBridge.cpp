#include "TensorBridge.h"

#include <ATen/DLConvertor.h>

#include "draggan/core/Error.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

// The producer's DLPack tensor, handed to LibTorch behind a deleter that takes the GIL first: numpy's deleter
// drops a Python reference without taking it, and the engine may free a tensor on any thread, GIL or not.
struct GilSafeDLPack {
  DLManagedTensor outer{};
  DLManagedTensor* producer = nullptr;
};

void delete_with_gil(DLManagedTensor* self) {
  auto* wrapped = static_cast<GilSafeDLPack*>(self->manager_ctx);
  if (wrapped->producer->deleter != nullptr && Py_IsInitialized()) {  // after shutdown: leak, as numpy does
    PyGILState_STATE state = PyGILState_Ensure();
    wrapped->producer->deleter(wrapped->producer);
    PyGILState_Release(state);
  }
  delete wrapped;
}

}  // namespace

torch::Tensor tensor_from_python(py::handle object, const std::string& what) {
  py::object source = py::reinterpret_borrow<py::object>(object);
  if (source.is_none()) throw InputError(what + ": expected an array, got None");
  py::module_ numpy = py::module_::import("numpy");
  if (!py::hasattr(source, "__dlpack__")) source = numpy.attr("asarray")(source);
  // DLPack as numpy 1.24 and torch 1.13 speak it has no booleans: a bool array crosses as its bytes (0 and 1,
  // numpy's a view of the same memory) and becomes bool again here.
  bool was_bool = false;
  if (py::hasattr(source, "dtype")) {
    const std::string dtype = py::str(source.attr("dtype"));
    if (dtype == "bool") {
      source = source.attr("view")(numpy.attr("uint8"));
      was_bool = true;
    } else if (dtype == "torch.bool") {
      source = source.attr("byte")();
      was_bool = true;
    }
  }
  py::object capsule;
  try {
    capsule = source.attr("__dlpack__")();
  } catch (py::error_already_set& e) {
    // numpy exports no read-only or object arrays through DLPack: a numeric copy, or the reason there is none.
    try {
      source = numpy.attr("array")(source, py::arg("copy") = true);
      capsule = source.attr("__dlpack__")();
    } catch (py::error_already_set& again) {
      throw InputError(what + ": expected a numeric array (numpy, torch or anything with __dlpack__): " +
                       std::string(again.what()));
    }
  }
  auto* managed = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule.ptr(), "dltensor"));
  if (managed == nullptr) throw py::error_already_set();
  auto* wrapped = new GilSafeDLPack;
  wrapped->outer.dl_tensor = managed->dl_tensor;
  wrapped->outer.manager_ctx = wrapped;
  wrapped->outer.deleter = nullptr;  // until LibTorch owns it: a failed conversion leaves the capsule in charge
  wrapped->producer = managed;
  torch::Tensor tensor;
  try {
    tensor = at::fromDLPack(&wrapped->outer);
  } catch (const c10::Error& e) {
    delete wrapped;
    throw InputError(what + ": unsupported array: " + e.what_without_backtrace());
  }
  wrapped->outer.deleter = &delete_with_gil;
  // The tensor owns the producer's memory now (DLPack's rule: a consumed capsule is renamed).
  PyCapsule_SetName(capsule.ptr(), "used_dltensor");
  return was_bool ? tensor.to(torch::kBool) : tensor;
}

py::array numpy_from_tensor(torch::Tensor tensor) {
  tensor = tensor.detach();
  if (!tensor.device().is_cpu()) tensor = tensor.cpu();
  py::dtype dtype;
  switch (tensor.scalar_type()) {
    case torch::kFloat32: dtype = py::dtype::of<float>(); break;
    case torch::kFloat64: dtype = py::dtype::of<double>(); break;
    case torch::kUInt8: dtype = py::dtype::of<uint8_t>(); break;
    case torch::kInt32: dtype = py::dtype::of<int32_t>(); break;
    case torch::kInt64: dtype = py::dtype::of<int64_t>(); break;
    case torch::kBool: dtype = py::dtype::of<bool>(); break;
    default: tensor = tensor.to(torch::kFloat32); dtype = py::dtype::of<float>();
  }
  std::vector<py::ssize_t> shape, strides;
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    shape.push_back(tensor.size(d));
    strides.push_back(tensor.stride(d) * tensor.element_size());
  }
  auto* kept = new torch::Tensor(tensor);
  py::capsule owner(kept, [](void* p) { delete static_cast<torch::Tensor*>(p); });
  return py::array(dtype, shape, strides, kept->data_ptr(), owner);
}

}  // namespace draggan::python
