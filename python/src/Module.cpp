// draggan_cpp._engine: the compiled half of the Python package draggan_cpp (python/draggan_cpp/__init__.py is
// the other half and the documented entry point).
#include <pybind11/pybind11.h>

#include "ModelHandle.h"
#include "PythonErrors.h"
#include "TensorBridge.h"
#include "draggan/core/Runtime.h"

namespace py = pybind11;

PYBIND11_MODULE(_engine, m) {
  using namespace draggan::python;
  m.doc() = "The compiled engine of draggan_cpp; use the package draggan_cpp, not this module.";
  register_error_translation(m);
  bind_model(m);
  bind_images(m);
  bind_drag(m);
  bind_invert(m);
  bind_eval(m);
  m.def(
      "set_threads", [](int threads) { draggan::configure_threads(threads); }, py::arg("threads"),
      "LibTorch's intra-op threads for everything in this process (torch's too: it is the same library); 0 = all cores.");
  m.def("get_threads", [] { return torch::get_num_threads(); });
  m.def(
      "data_address",
      [](py::handle array) { return reinterpret_cast<uintptr_t>(tensor_from_python(array, "array").data_ptr()); },
      py::arg("array"),
      "Where the engine finds an array's data when it is passed in (for checking that it is shared, not copied).");
  // As the CLI's defaults: every core (Debian's LibTorch starts with one intra-op thread), and activation buffers
  // kept in the process between steps instead of being unmapped and faulted back in every step (Runtime.h).
  draggan::configure_threads(0);
  draggan::keep_freed_memory_for_reuse();
}
