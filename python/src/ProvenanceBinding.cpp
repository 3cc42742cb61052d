// The provenance record of the images the module writes (docs/provenance.md): what a model's images are (its
// file's hash, the seeds of the latents it made), records to and from Python as JSON, the record a file carries,
// and the visible "AI Generated" mark.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>

#include "ModelHandle.h"
#include "PythonErrors.h"
#include "TensorBridge.h"
#include "draggan/core/Digest.h"
#include "draggan/core/Error.h"
#include "draggan/io/ImageRecordReader.h"
#include "draggan/io/ModelProvenance.h"
#include "draggan/provenance/GeneratedMark.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

// Enough for every seed a script walks through between two sessions; a digest is 64 bytes.
constexpr size_t kRememberedSeeds = 512;

std::string latent_digest(const torch::Tensor& ws) {
  const torch::Tensor cpu = ws.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return sha256_hex(std::string_view(static_cast<const char*>(cpu.data_ptr()), cpu.numel() * sizeof(float)));
}

std::string record_json(const ImageProvenance& record) { return provenance_to_json(record).dump(); }

}  // namespace

ImageProvenance ModelRecord::base(const LoadedModel& model) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!base_) base_ = image_provenance_of(model);
  return *base_;
}

void ModelRecord::remember_seed(const torch::Tensor& ws, uint32_t seed, double psi) {
  std::string digest = latent_digest(ws);
  std::lock_guard<std::mutex> lock(mutex_);
  seeds_.emplace_back(std::move(digest), std::make_pair(seed, psi));
  if (seeds_.size() > kRememberedSeeds) seeds_.pop_front();
}

std::optional<std::pair<uint32_t, double>> ModelRecord::seed_of(const torch::Tensor& ws) {
  const std::string digest = latent_digest(ws);
  std::lock_guard<std::mutex> lock(mutex_);
  // The newest first: the same latent made twice answers with the latest call's seed and psi.
  const auto it = std::find_if(seeds_.rbegin(), seeds_.rend(), [&](const auto& s) { return s.first == digest; });
  if (it == seeds_.rend()) return std::nullopt;
  return it->second;
}

ImageProvenance provenance_from_python(const std::string& json) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(std::string("provenance: not JSON: ") + e.what());
  }
  ImageProvenance record = provenance_from_json(parsed, "provenance");
  if (record.origin == ImageOrigin::Other && record.description.empty())
    throw InputError("provenance.description: say how an image of origin 'other' was made");
  return record;
}

torch::Tensor with_ai_mark(const torch::Tensor& image, bool ai_mark) {
  return ai_mark ? mark_as_generated(image) : image;
}

void bind_provenance(py::module_& m) {
  m.def(
      "model_record",
      [](const ModelHandle& h, py::handle w) {
        torch::Tensor ws = w.is_none() ? torch::Tensor() : h.latent(w, "w");
        ImageProvenance record;
        {
          py::gil_scoped_release unlocked;
          record = h.record->base(*h.loaded);
          if (ws.defined()) {
            if (const auto seed = h.record->seed_of(ws)) {
              record.seed = seed->first;
              record.psi = seed->second;
            }
          }
        }
        return record_json(record);
      },
      py::arg("model"), py::arg("w"),
      "The record (JSON) of the model's images; with w, its seed and psi when w_from_seed made that latent.");
  m.def(
      "read_record",
      [](py::handle file) {
        const std::string path = py::str(py::module_::import("os").attr("fspath")(file));
        ImageRecord found = on_file(path, [&] {
          py::gil_scoped_release unlocked;
          return read_image_record(path);
        });
        const bool has_record = !found.xmp.empty() || std::any_of(found.text.begin(), found.text.end(), [](const auto& f) {
          return f.first.rfind("draggan ", 0) == 0 || f.first == "Software";
        });
        if (!has_record) return py::object(py::none());
        return py::object(py::str(record_json(provenance_from_text_fields(found.text, found.xmp))));
      },
      py::arg("path"), "The record (JSON) a PNG, APNG or GIF file carries, or None.");
  m.def(
      "mark_as_generated",
      [](py::handle image) {
        torch::Tensor t = tensor_from_python(image, "image");
        if (t.scalar_type() != torch::kUInt8 || (t.dim() != 2 && t.dim() != 3))
          throw InputError("image: expected uint8 [H, W, C] or [H, W], got " + std::string(c10::toString(t.scalar_type())) +
                           " " + c10::str(t.sizes()));
        torch::Tensor out;
        {
          py::gil_scoped_release unlocked;
          out = mark_as_generated(t);
        }
        return numpy_from_tensor(out);
      },
      py::arg("image"));
  m.def("generated_mark_enlargement", &generated_mark_enlargement, py::arg("height"), py::arg("width"));
}

}  // namespace draggan::python
