// The Python module's model: a loaded checkpoint (generator, discriminator, recorded drag settings) shared by
// every session, inversion and evaluation made from it.
#pragma once
#include <pybind11/pybind11.h>
#include <torch/torch.h>

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "draggan/io/ModelFile.h"
#include "draggan/provenance/ImageProvenance.h"

namespace draggan::python {

// Where a model's images come from (provenance/ImageProvenance.h): the model file's record, its SHA-256 taken
// once on first use (a large checkpoint takes seconds), and the seeds of the start latents w_from_seed made,
// known by their content, so a session started from one records its seed and psi as `draggan drag --seed` does.
class ModelRecord {
 public:
  ModelRecord() = default;
  // A record fixed in advance (invert()'s model: an edited photo).
  explicit ModelRecord(ImageProvenance known) : base_(std::move(known)) {}
  // The record of the model's images. May hash the model file: call without the GIL.
  ImageProvenance base(const LoadedModel& model);
  // ws made by w_from_seed(seed, psi), any device; forgets the oldest beyond a few hundred.
  void remember_seed(const torch::Tensor& ws, uint32_t seed, double psi);
  std::optional<std::pair<uint32_t, double>> seed_of(const torch::Tensor& ws);

 private:
  std::mutex mutex_;
  std::optional<ImageProvenance> base_;
  std::deque<std::pair<std::string, std::pair<uint32_t, double>>> seeds_;  // ws digest -> seed, psi
};

struct ModelHandle {
  std::shared_ptr<LoadedModel> loaded;
  std::shared_ptr<ModelRecord> record = std::make_shared<ModelRecord>();

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
void bind_provenance(pybind11::module_& m);

// A record from Python: the JSON draggan_cpp.Provenance.to_json() gives (provenance_to_json's form); InputError
// naming the field when it does not parse.
ImageProvenance provenance_from_python(const std::string& json);
// uint8 image -> the image with the visible "AI Generated" mark when `ai_mark` (enlarged when small), else as is.
torch::Tensor with_ai_mark(const torch::Tensor& image, bool ai_mark);

}  // namespace draggan::python
