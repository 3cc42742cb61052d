// draggan_cpp.Model and load(): checkpoints of every family and format the CLI opens, seeds to latents, latents
// to images. Long calls run without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <optional>

#include "ModelHandle.h"
#include "PythonErrors.h"
#include "TensorBridge.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/core/Runtime.h"
#include "draggan/drag/DragDefaults.h"
#include "draggan/drag/DragSession.h"
#include "draggan/drag/LatentArray.h"
#include "draggan/io/Image.h"

namespace py = pybind11;

namespace draggan::python {

torch::Tensor ModelHandle::latent(py::handle w, const std::string& what) const {
  GeneratorModel& g = generator();
  return latent_from_tensor(tensor_from_python(w, what), g.latent_layout(), g.device(), what);
}

namespace {

uint32_t checked_seed(int64_t seed) {
  if (seed < 0 || seed > 0xffffffffLL) throw InputError("seed must be in 0..2^32-1, got " + std::to_string(seed));
  return static_cast<uint32_t>(seed);
}

int cutoff_of(const std::optional<int>& trunc_cutoff) { return trunc_cutoff ? *trunc_cutoff : -1; }

double checked_psi(double trunc_psi) {
  if (!std::isfinite(trunc_psi)) throw InputError("trunc_psi must be a finite number");
  return trunc_psi;
}

// The official display conversion per image of a batch: uint8 [H, W, C], or [N, H, W, C] for N > 1.
torch::Tensor display_images(const torch::Tensor& images) {
  if (images.size(0) == 1) return image_to_uint8(images);
  std::vector<torch::Tensor> each;
  for (int64_t i = 0; i < images.size(0); ++i) each.push_back(image_to_uint8(images.slice(0, i, i + 1)));
  return torch::stack(each);
}

py::dict drag_settings_dict(const LoadedModel& model) {
  const DragSettings s = model_drag_settings(model);
  const DragParams& p = s.params;
  py::dict d;
  d["lr"] = p.lr;
  d["w_plus"] = s.space == LatentSpace::WPlus;
  d["optimized_layers"] = p.optimized_layers;
  d["first_optimized_layer"] = p.first_optimized_layer;
  d["r1"] = p.r1;
  d["r2"] = p.r2;
  d["lambda_mask"] = p.lambda_mask;
  d["reg"] = p.reg;
  d["reg_l2"] = p.reg_l2;
  d["feature_idx"] = p.feature_block < 0 ? model.generator->default_feature_layer() : p.feature_block;
  d["stop_distance"] = p.stop_distance < 0 ? py::object(py::none()) : py::object(py::float_(p.stop_distance));
  d["max_steps"] = s.max_steps ? py::object(py::int_(*s.max_steps)) : py::object(py::none());
  return d;
}

ModelHandle load(const std::string& path, const std::string& device) {
  const torch::Device where = parse_device(device);
  auto loaded = on_file(path, [&] {
    py::gil_scoped_release unlocked;
    return std::make_shared<LoadedModel>(load_model(path, where));
  });
  return ModelHandle{loaded};
}

}  // namespace

void bind_model(py::module_& m) {
  py::class_<ModelHandle>(m, "Model", R"(A generator loaded from a checkpoint (load()), with its discriminator and the drag
settings the file records. Shared, not copied, by the sessions, inversions and evaluations made from it.)")
      .def_property_readonly("family", [](const ModelHandle& h) { return h.generator().family(); },
                             "'stylegan2', 'stylegan3-t', 'stylegan3-r' or 'stylegan-human'")
      .def_property_readonly("description", [](const ModelHandle& h) { return h.generator().description(); })
      .def_property_readonly("path", [](const ModelHandle& h) { return h.loaded->path; })
      .def_property_readonly("format", [](const ModelHandle& h) { return h.loaded->format; },
                             "'nvidia-pkl', 'tensorflow-pkl', 'safetensors' (or 'tuned' for invert()'s model)")
      .def_property_readonly("resolution", [](const ModelHandle& h) { return h.generator().image_shape().height; },
                             "The image height, as the official img_resolution (StyleGAN-Human: H of its H x H/2 image)")
      .def_property_readonly("height", [](const ModelHandle& h) { return h.generator().image_shape().height; })
      .def_property_readonly("width", [](const ModelHandle& h) { return h.generator().image_shape().width; })
      .def_property_readonly("channels", [](const ModelHandle& h) { return h.generator().image_shape().channels; })
      .def_property_readonly("num_ws", [](const ModelHandle& h) { return h.generator().latent_layout().num_ws; })
      .def_property_readonly("w_dim", [](const ModelHandle& h) { return h.generator().latent_layout().w_dim; })
      .def_property_readonly("z_dim", [](const ModelHandle& h) { return h.generator().latent_layout().z_dim; })
      .def_property_readonly("c_dim", [](const ModelHandle& h) { return h.generator().latent_layout().c_dim; })
      .def_property_readonly("parameter_count", [](const ModelHandle& h) { return h.generator().parameter_count(); })
      .def_property_readonly("device", [](const ModelHandle& h) { return h.generator().device().str(); })
      .def_property_readonly("has_discriminator", [](const ModelHandle& h) { return !h.loaded->discriminator.empty(); })
      .def_property_readonly(
          "feature_layers",
          [](const ModelHandle& h) {
            std::vector<std::string> names;
            for (int i = 0; i < h.generator().num_feature_layers(); ++i) names.push_back(h.generator().feature_layer_name(i));
            return names;
          },
          "Names of the layers a drag may supervise; feature_idx indexes this list")
      .def_property_readonly("default_feature_idx", [](const ModelHandle& h) { return h.generator().default_feature_layer(); },
                             "The official feature_idx 5 where the model has it, else the family's equivalent")
      .def_property_readonly(
          "canvas",
          [](const ModelHandle& h) {
            const FeatureCanvas c = h.generator().feature_canvas();
            py::dict d;
            d["height"] = c.height;
            d["width"] = c.width;
            d["image_top"] = c.image_top;
            d["image_left"] = c.image_left;
            return d;
          },
          "The plane the drag runs on: the image itself, except StyleGAN-Human's official padded square (its "
          "trajectories are the official ones shifted by image_left columns)")
      .def_property_readonly("drag_settings", [](const ModelHandle& h) { return drag_settings_dict(*h.loaded); },
                             "What a DragSession uses when not told otherwise: the official defaults with what the "
                             "file records applied (the CLI's defaults for this model)")
      .def(
          "z_from_seed",
          [](const ModelHandle& h, int64_t seed) {
            return numpy_from_tensor(z_from_seed(checked_seed(seed), h.generator().latent_layout().z_dim));
          },
          py::arg("seed"), "z [1, z_dim] = numpy.random.RandomState(seed).randn(1, z_dim) as float32, as the official renderer maps it")
      .def(
          "w_from_seed",
          [](const ModelHandle& h, int64_t seed, double trunc_psi, std::optional<int> trunc_cutoff) {
            const uint32_t s = checked_seed(seed);
            checked_psi(trunc_psi);
            GeneratorModel& g = h.generator();
            torch::Tensor ws;
            {
              py::gil_scoped_release unlocked;
              if (!trunc_cutoff) {
                ws = latent_from_seed(g, s, trunc_psi);
              } else {
                torch::NoGradGuard no_grad;
                const LatentLayout layout = g.latent_layout();
                torch::Tensor z = z_from_seed(s, layout.z_dim).to(g.device());
                torch::Tensor c = layout.c_dim > 0 ? torch::zeros({1, layout.c_dim}, torch::TensorOptions(g.device()))
                                                   : torch::Tensor();
                ws = g.map(z, c, trunc_psi, *trunc_cutoff).to(torch::kFloat32);
              }
            }
            return numpy_from_tensor(ws);
          },
          py::arg("seed"), py::arg("trunc_psi") = 0.7, py::arg("trunc_cutoff") = py::none(),
          R"(The official renderer's start latent for a seed: z = RandomState(seed).randn(1, z_dim), mapped with an
all-zero class label and truncation trunc_psi (0.7, the renderer's default) on the first trunc_cutoff rows
(None: all). Returns ws, float32 [1, num_ws, w_dim].)")
      .def(
          "map",
          [](const ModelHandle& h, py::handle z, py::handle c, double trunc_psi, std::optional<int> trunc_cutoff) {
            GeneratorModel& g = h.generator();
            const LatentLayout layout = g.latent_layout();
            checked_psi(trunc_psi);
            torch::Tensor zt = tensor_from_python(z, "z");
            if (zt.dim() == 1) zt = zt.unsqueeze(0);
            if (zt.dim() != 2 || zt.size(1) != layout.z_dim)
              throw InputError("z: expected [N, " + std::to_string(layout.z_dim) + "], got " + c10::str(zt.sizes()));
            torch::Tensor ct;
            if (!c.is_none()) {
              ct = tensor_from_python(c, "c");
              if (ct.dim() == 1) ct = ct.unsqueeze(0);
              if (layout.c_dim == 0 || ct.dim() != 2 || ct.size(1) != layout.c_dim || ct.size(0) != zt.size(0))
                throw InputError("c: expected [N, c_dim] = [" + std::to_string(zt.size(0)) + ", " +
                                 std::to_string(layout.c_dim) + "], got " + c10::str(ct.sizes()));
            } else if (layout.c_dim > 0) {
              ct = torch::zeros({zt.size(0), layout.c_dim});
            }
            torch::Tensor ws;
            {
              py::gil_scoped_release unlocked;
              torch::NoGradGuard no_grad;
              ws = g.map(zt.to(g.device(), torch::kFloat32), ct.defined() ? ct.to(g.device(), torch::kFloat32) : ct,
                         trunc_psi, cutoff_of(trunc_cutoff))
                       .to(torch::kFloat32);
            }
            return numpy_from_tensor(ws);
          },
          py::arg("z"), py::arg("c") = py::none(), py::arg("trunc_psi") = 1.0, py::arg("trunc_cutoff") = py::none(),
          "The mapping network: z [N, z_dim] (and class c [N, c_dim]) -> ws [N, num_ws, w_dim], truncated towards "
          "w_avg by trunc_psi on the first trunc_cutoff rows (None: all). Never changes the model.")
      .def(
          "synthesize",
          [](const ModelHandle& h, py::handle w, const std::string& noise_mode, bool raw, py::object out) {
            GeneratorModel& g = h.generator();
            const LatentLayout layout = g.latent_layout();
            torch::Tensor given = tensor_from_python(w, "w");
            torch::Tensor ws;
            if (given.dim() == 3 && given.size(0) > 1 && given.size(1) == layout.num_ws && given.size(2) == layout.w_dim &&
                given.is_floating_point()) {
              ws = given.to(g.device(), torch::kFloat32);  // a batch
              if (!torch::isfinite(ws).all().item<bool>()) throw InputError("w: latent contains NaN or infinity");
            } else {
              ws = latent_from_tensor(given, layout, g.device(), "w");
            }
            const NoiseMode noise = parse_noise_mode(noise_mode);
            torch::Tensor result;
            {
              py::gil_scoped_release unlocked;
              torch::NoGradGuard no_grad;
              torch::Tensor images = g.synthesize(ws, noise);
              result = raw ? images : display_images(images);
            }
            if (out.is_none()) return py::object(numpy_from_tensor(result));
            // Into the caller's array (numpy or torch, shared through DLPack): no new array per frame.
            torch::Tensor into = tensor_from_python(out, "out");
            if (into.sizes() != result.sizes() || into.scalar_type() != result.scalar_type())
              throw InputError("out: expected " + std::string(c10::toString(result.scalar_type())) + " " +
                               c10::str(result.sizes()) + ", got " + std::string(c10::toString(into.scalar_type())) +
                               " " + c10::str(into.sizes()));
            into.copy_(result);
            return out;
          },
          py::arg("w"), py::arg("noise_mode") = "const", py::arg("raw") = false, py::arg("out") = py::none(),
          R"(The image of latent w ([1, num_ws, w_dim], [num_ws, w_dim], a W vector [w_dim], or a batch
[N, num_ws, w_dim]; numpy, torch or any DLPack array, not copied when float32 on the model's device).
Returns uint8 [H, W, C] ([N, H, W, C] for a batch) by the official display conversion
(x * 127.5 + 128, clamped, truncated), or with raw=True the float [N, C, H, W] synthesis output (about
[-1, 1]). noise_mode: 'const' (official), 'random' or 'none'. out: an array of that dtype and shape (numpy,
torch, ...) to write the result into, returned instead of a new one.)")
      .def(
          "save",
          [](const ModelHandle& h, py::handle file, const std::map<std::string, std::string>& metadata) {
            const std::string path = py::str(py::module_::import("os").attr("fspath")(file));
            py::gil_scoped_release unlocked;
            save_model(path, h.generator(), h.loaded->discriminator, h.loaded->discriminator_config, metadata);
          },
          py::arg("path"), py::arg("metadata") = std::map<std::string, std::string>{},
          "Writes the native .safetensors format (G_ema and D, the family and its architecture in the metadata), "
          "which every command and load() read back to the same image.")
      .def("__repr__", [](const ModelHandle& h) {
        const ImageShape s = h.generator().image_shape();
        return "<draggan_cpp.Model " + h.generator().family() + " " + std::to_string(s.width) + "x" +
               std::to_string(s.height) + " from '" + h.loaded->path + "' (" + h.loaded->format + ")>";
      });

  m.def("load", &load, py::arg("path"), py::arg("device") = "cpu",
        R"(Loads a checkpoint: an NVIDIA .pkl (StyleGAN2/2-ADA, StyleGAN3 T/R, StyleGAN-Human), a TensorFlow
StyleGAN2 pickle or a .safetensors file written by draggan; the format and family are chosen by the
file's content, as the CLI does. device: 'cpu', 'cuda', 'cuda:N' or 'auto'. Raises FileNotFoundError
(FileNotFound) for a missing file, CheckpointError (a ValueError) for a broken or unsupported one.)");
}

}  // namespace draggan::python
