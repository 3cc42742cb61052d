#include "PythonErrors.h"

#include <torch/torch.h>

namespace py = pybind11;

namespace draggan::python {
namespace {

// The exception classes, kept for the whole life of the interpreter (module init runs once).
struct ErrorClasses {
  py::object error, input, checkpoint, missing_file;
};
ErrorClasses* classes = nullptr;

void raise(const py::object& type, const std::string& message) { PyErr_SetString(type.ptr(), message.c_str()); }

}  // namespace

void register_error_translation(py::module_& m) {
  py::module_ errors = py::module_::import("draggan_cpp._errors");
  classes = new ErrorClasses{errors.attr("Error"), errors.attr("InputError"), errors.attr("CheckpointError"),
                             errors.attr("FileNotFound")};
  m.attr("Error") = classes->error;
  m.attr("InputError") = classes->input;
  m.attr("CheckpointError") = classes->checkpoint;
  m.attr("FileNotFound") = classes->missing_file;
  py::register_exception_translator([](std::exception_ptr thrown) {
    try {
      if (thrown) std::rethrow_exception(thrown);
    } catch (const MissingFile& e) {
      py::object error = classes->missing_file(e.message, e.path);
      PyErr_SetObject(classes->missing_file.ptr(), error.ptr());
    } catch (const InputError& e) {
      raise(classes->input, e.what());
    } catch (const CheckpointError& e) {
      raise(classes->checkpoint, e.what());
    } catch (const Error& e) {
      raise(classes->error, e.what());
    } catch (const c10::Error& e) {
      raise(classes->error, std::string("internal tensor error: ") + e.what_without_backtrace());
    } catch (const std::filesystem::filesystem_error& e) {
      raise(classes->error, e.what());  // e.g. an output folder that cannot be created
    }
  });
}

void raise_on_signal() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

}  // namespace draggan::python
