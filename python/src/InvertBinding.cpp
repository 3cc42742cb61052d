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
#include "draggan/invert/ImageInversion.h"
#include "draggan/io/Image.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

struct InvertArgs {
  std::string schedule = "fast";
  std::optional<int> steps, pti_steps;
  std::optional<double> lr, pti_lr;
  std::string space = "w+";
  std::string perceptual = "auto";
  std::string vgg, lpips;
  std::string fit = "crop";
  int64_t seed = 303;
  bool optimize_noise = false;
  int preview_every = 0;
};

// The options `draggan project` would build from the same arguments.
InversionOptions inversion_options(const InvertArgs& a, int image_height) {
  if (a.seed < 0) throw InputError("seed must be >= 0");
  InversionOptions o;
  o.schedule = parse_inversion_schedule(a.schedule);
  o.projection.space = parse_projection_space(a.space);
  o.projection.optimize_noise = a.optimize_noise;
  o.projection.seed = static_cast<uint64_t>(a.seed);
  o.fast.seed = static_cast<uint64_t>(a.seed);
  if (o.schedule == InversionSchedule::Full) {
    if (a.steps) o.projection.steps = *a.steps;
    if (a.lr) o.projection.schedule.initial_lr = *a.lr;
  } else {
    if (a.optimize_noise) throw InputError("optimize_noise needs schedule='full'");
    if (a.steps) o.fast.set_total_steps(*a.steps);
    if (a.lr) o.fast.schedule.initial_lr = *a.lr;
  }
  o.fast.validate();
  o.pti = o.schedule == InversionSchedule::Fast ? fast_tuning_options(image_height) : PivotalTuningOptions{};
  if (a.pti_steps) o.pti.steps = *a.pti_steps;
  if (a.pti_lr) o.pti.lr = *a.pti_lr;
  o.pti.seed = static_cast<uint64_t>(a.seed);
  o.perceptual = parse_perceptual_choice(a.perceptual);
  o.perceptual_files = {a.vgg, a.lpips};
  o.fit = parse_fit_mode(a.fit);
  o.projection.validate();
  o.pti.validate();
  if (a.preview_every < 0) throw InputError("preview_every must be >= 0");
  return o;
}

py::tuple quality(const ReconstructionQuality& q) { return py::make_tuple(q.psnr, q.ssim); }

// Returns (model, ws, target, reconstruction, perceptual, projected (psnr, ssim), tuned (psnr, ssim) or None,
// cancelled); draggan_cpp.invert wraps it in an Inversion.
py::tuple invert(const ModelHandle& model, py::handle image, const InvertArgs& args, py::object progress) {
  torch::Tensor photo;
  if (py::isinstance<py::str>(image) || py::hasattr(image, "__fspath__")) {
    const std::string path = py::str(py::module_::import("os").attr("fspath")(image));
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
    if (photo.size(2) == 4) photo = photo.slice(2, 0, 3);
    photo = photo.contiguous();
  }
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
  {
    py::gil_scoped_release unlocked;
    result = invert_image(loaded, photo, options, callbacks);
  }
  if (raised) throw std::move(*raised);

  ModelHandle tuned = model;
  if (result.generator != loaded.generator) {
    auto copy = std::make_shared<LoadedModel>(loaded);  // the discriminator and recorded settings carried over
    copy->generator = result.generator;
    copy->format = "tuned";
    copy->path = loaded.path;
    tuned.loaded = copy;
  }
  return py::make_tuple(tuned, numpy_from_tensor(result.ws), numpy_from_tensor(result.target),
                        numpy_from_tensor(result.reconstruction), result.perceptual, quality(result.projected),
                        result.tuned ? py::object(quality(*result.tuned)) : py::object(py::none()), result.cancelled);
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
        a.schedule = schedule;
        a.steps = steps;
        a.pti_steps = pti_steps;
        a.lr = lr;
        a.pti_lr = pti_lr;
        a.space = w_plus ? "w+" : "w";
        a.perceptual = perceptual;
        a.vgg = vgg.value_or("");
        a.lpips = lpips.value_or("");
        a.fit = fit;
        a.seed = seed;
        a.optimize_noise = optimize_noise;
        a.preview_every = preview_every;
        return invert(model, image, a, std::move(progress));
      },
      py::arg("model"), py::arg("image"), py::arg("schedule"), py::arg("steps"), py::arg("pti_steps"), py::arg("lr"),
      py::arg("pti_lr"), py::arg("w_plus"), py::arg("perceptual"), py::arg("vgg"), py::arg("lpips"), py::arg("fit"),
      py::arg("seed"), py::arg("optimize_noise"), py::arg("progress"), py::arg("preview_every"));
}

}  // namespace draggan::python
