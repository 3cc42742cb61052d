// draggan_cpp._engine.invert: a photo -> the latent (and, with pivotal tuning, the tuned generator) that
// reproduce it, as `draggan project` does. Runs without the GIL; after every optimiser step it takes the GIL
// briefly to check for Ctrl-C and call the caller's progress function, either of which stops it.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <optional>

#include "ModelHandle.h"
#include "PythonErrors.h"
#include "TensorBridge.h"
#include "draggan/core/Digest.h"
#include "draggan/invert/ImageInversion.h"
#include "draggan/invert/InversionChoices.h"
#include "draggan/io/Image.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

// invert()'s arguments: the choices `draggan project` has, plus how often a preview is made.
struct InvertArgs {
  InversionChoices choices;
  int preview_every = 0;
};

// The options `draggan project` would build from the same arguments (errors name Python's arguments).
InversionOptions inversion_options(const InvertArgs& a, int image_height) {
  InversionOptions o = inversion_options_from(a.choices, image_height, [](const std::string& key) {
    return key == "schedule=full" ? std::string("schedule='full'") : key;
  });
  if (a.preview_every < 0) throw InputError("preview_every must be >= 0");
  return o;
}

py::tuple quality(const ReconstructionQuality& q) { return py::make_tuple(q.psnr, q.ssim); }

// Returns (model, ws, target, reconstruction, perceptual, projected (psnr, ssim), tuned (psnr, ssim) or None,
// cancelled, the record of its images as JSON); draggan_cpp.invert wraps it in an Inversion.
py::tuple invert(const ModelHandle& model, py::handle image, const InvertArgs& args, py::object progress) {
  torch::Tensor photo;
  std::string photo_path;  // "": an array, hashed by its pixels below
  if (py::isinstance<py::str>(image) || py::hasattr(image, "__fspath__")) {
    const std::string path = py::str(py::module_::import("os").attr("fspath")(image));
    photo_path = path;
    photo = on_file(path, [&] {
      py::gil_scoped_release unlocked;
      return read_image(path);
    });
  } else {
    photo = tensor_from_python(image, "image");
    if (photo.dim() == 2) photo = photo.unsqueeze(2);
    if (photo.scalar_type() != torch::kUInt8 || photo.dim() != 3 || photo.size(2) < 1 || photo.size(2) > 4 ||
        photo.size(2) == 2)
      throw InputError("image: expected uint8 [H, W, C] with C = 1, 3 or 4 (alpha is dropped), or a file name; got " +
                       std::string(c10::toString(photo.scalar_type())) + " " + c10::str(photo.sizes()));
    if (photo.size(0) == 0 || photo.size(1) == 0) throw InputError("image: empty (" + c10::str(photo.sizes()) + ")");
    photo = photo.contiguous();
  }
  // What was projected, for the record of every image made from the result (docs/provenance.md): the photo
  // file's SHA-256, as `draggan project` records, or that of an array's pixels (uint8, row-major, as given).
  const std::string photo_sha256 = [&] {
    py::gil_scoped_release unlocked;
    if (!photo_path.empty()) return file_sha256_hex(photo_path);
    const torch::Tensor cpu = photo.cpu().contiguous();
    return sha256_hex(std::string_view(static_cast<const char*>(cpu.data_ptr()), cpu.numel()));
  }();
  if (photo.size(2) == 4) photo = photo.slice(2, 0, 3).contiguous();
  LoadedModel& loaded = *model.loaded;
  InversionOptions options = inversion_options(args, loaded.generator->image_shape().height);
  options.perceptual = inversion_perceptual_choice(options, loaded);

  std::atomic<bool> cancel{false};
  std::optional<py::error_already_set> raised;  // from Ctrl-C or the progress function
  InversionCallbacks callbacks;
  callbacks.cancel = &cancel;
  callbacks.preview_every = args.preview_every;
  callbacks.on_step = [&](const InversionProgress& p) {
    py::gil_scoped_acquire gil;
    try {
      raise_on_signal();
      if (!progress.is_none()) {
        py::dict d;
        d["stage"] = to_string(p.stage);
        d["step"] = p.step;
        d["total"] = p.total;
        d["loss"] = p.loss;
        d["mse"] = p.mse;
        d["preview"] = p.preview.defined() ? py::object(numpy_from_tensor(p.preview)) : py::object(py::none());
        py::object answer = progress(d);
        if (answer.is(py::bool_(false))) cancel = true;  // the caller asked to stop: a result, no exception
      }
    } catch (py::error_already_set& e) {
      raised.emplace(std::move(e));
      cancel = true;
    }
  };
  InversionResult result;
  ImageProvenance record;
  {
    py::gil_scoped_release unlocked;
    result = invert_image(loaded, photo, options, callbacks);
    record = model.record->base(loaded);
  }
  if (raised) throw std::move(*raised);
  record.origin = ImageOrigin::EditedPhoto;
  record.photo_sha256 = photo_sha256;
  record.seed.reset();
  record.psi.reset();

  // Its own handle even when nothing was tuned (the same generator): sessions on it record an edited photo.
  ModelHandle tuned = model;
  tuned.record = std::make_shared<ModelRecord>(record);
  if (result.generator != loaded.generator) {
    auto copy = std::make_shared<LoadedModel>(loaded);  // the discriminator and recorded settings carried over
    copy->generator = result.generator;
    copy->format = "tuned";
    copy->path = loaded.path;
    tuned.loaded = copy;
  }
  return py::make_tuple(tuned, numpy_from_tensor(result.ws), numpy_from_tensor(result.target),
                        numpy_from_tensor(result.reconstruction), result.perceptual, quality(result.projected),
                        result.tuned ? py::object(quality(*result.tuned)) : py::object(py::none()), result.cancelled,
                        provenance_to_json(record).dump());
}

}  // namespace

void bind_invert(py::module_& m) {
  m.def(
      "invert",
      [](const ModelHandle& model, py::handle image, const std::string& schedule, std::optional<int> steps,
         std::optional<int> pti_steps, std::optional<double> lr, std::optional<double> pti_lr, bool w_plus,
         const std::string& perceptual, std::optional<std::string> vgg, std::optional<std::string> lpips,
         const std::string& fit, int64_t seed, bool optimize_noise, py::object progress, int preview_every) {
        InvertArgs a;
        a.choices.schedule = schedule;
        a.choices.steps = steps;
        a.choices.pti_steps = pti_steps;
        a.choices.lr = lr;
        a.choices.pti_lr = pti_lr;
        a.choices.space = w_plus ? "w+" : "w";
        a.choices.perceptual = perceptual;
        a.choices.vgg = vgg.value_or("");
        a.choices.lpips = lpips.value_or("");
        a.choices.fit = fit;
        a.choices.seed = seed;
        a.choices.optimize_noise = optimize_noise;
        a.preview_every = preview_every;
        return invert(model, image, a, std::move(progress));
      },
      py::arg("model"), py::arg("image"), py::arg("schedule"), py::arg("steps"), py::arg("pti_steps"), py::arg("lr"),
      py::arg("pti_lr"), py::arg("w_plus"), py::arg("perceptual"), py::arg("vgg"), py::arg("lpips"), py::arg("fit"),
      py::arg("seed"), py::arg("optimize_noise"), py::arg("progress"), py::arg("preview_every"));
}

}  // namespace draggan::python
