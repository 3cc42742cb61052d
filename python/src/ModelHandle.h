// The Python module's model: a loaded checkpoint (generator, discriminator, recorded drag settings) shared by
// every session, inversion and evaluation made from it.
#pragma once
#include <pybind11/pybind11.h>
#include <torch/torch.h>

#include <memory>
#include <string>

#include "draggan/io/ModelFile.h"

namespace draggan::python {

struct ModelHandle {
  std::shared_ptr<LoadedModel> loaded;

  GeneratorModel& generator() const { return *loaded->generator; }
  // A latent argument (array-like) as ws [1, num_ws, w_dim] float32 on the model's device; `what` names it.
  // Needs the GIL.
  torch::Tensor latent(pybind11::handle w, const std::string& what) const;
};

// Binding functions, one per file, called by the module's init in this order.
void bind_model(pybind11::module_& m);
void bind_images(pybind11::module_& m);
void bind_drag(pybind11::module_& m);
void bind_invert(pybind11::module_& m);
void bind_eval(pybind11::module_& m);

}  // namespace draggan::python
