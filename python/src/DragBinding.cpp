// draggan_cpp._engine.DragSessionCore: the library's DragSession for the Python DragSession (draggan_cpp/_drag.py),
// which adds the named point orders and the step iterator. Points here are always x = column, y = row.
// Each step runs without the GIL, one call at a time per session (a mutex taken after the GIL is released, so a
// second thread waiting on the same session never blocks the interpreter).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <optional>
#include <tuple>

#include "DragOverrides.h"
#include "ModelHandle.h"
#include "PythonErrors.h"
#include "TensorBridge.h"
#include "draggan/drag/DragDefaults.h"
#include "draggan/drag/DragMask.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/Image.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

using Pair = std::tuple<double, double, double, double>;  // handle x, y, target x, y

std::vector<DragPair> to_pairs(const std::vector<Pair>& pairs) {
  std::vector<DragPair> out;
  for (const auto& [hx, hy, tx, ty] : pairs) out.push_back({{hx, hy}, {tx, ty}});
  return out;
}

py::list xy_list(const std::vector<DragPoint>& points) {
  py::list out;
  for (const auto& p : points) out.append(py::make_tuple(p.x, p.y));
  return out;
}

class SessionCore {
 public:
  SessionCore(ModelHandle model, py::handle w, const py::kwargs& settings) : model_(std::move(model)) {
    settings_ = model_drag_settings(*model_.loaded);
    overrides_from(settings).apply(settings_);
    torch::Tensor ws0 = model_.latent(w, "w");
    session_ = std::make_unique<DragSession>(model_.loaded->generator, ws0, settings_.params, settings_.space);
  }

  // step, loss, handles [(x, y)], distances, done, ms, image (uint8 [H, W, C] the step's tracking saw, or None).
  py::tuple step(bool with_image) {
    raise_on_signal();  // Ctrl-C pressed since the last step stops here, before the next one starts
    DragStepReport r;
    torch::Tensor image;
    {
      py::gil_scoped_release unlocked;
      std::lock_guard<std::mutex> lock(mutex_);
      // The image before the step is the one its tracking runs on (the official renderer returns that one).
      if (with_image) image = session_->image_uint8();
      r = session_->step();
    }
    return py::make_tuple(r.step, r.loss, xy_list(r.handles), r.distances, r.done, r.ms,
                          image.defined() ? py::object(numpy_from_tensor(image)) : py::object(py::none()));
  }

  py::array image() {
    torch::Tensor image;
    {
      py::gil_scoped_release unlocked;
      std::lock_guard<std::mutex> lock(mutex_);
      image = session_->image_uint8();
    }
    return numpy_from_tensor(image);
  }

  template <typename Call>
  auto locked(Call&& call) -> decltype(call(std::declval<DragSession&>())) {
    py::gil_scoped_release unlocked;
    std::lock_guard<std::mutex> lock(mutex_);
    return call(*session_);
  }

  std::vector<Pair> pairs() {
    return locked([](DragSession& s) {
      std::vector<Pair> out;
      for (const auto& p : s.pairs()) out.emplace_back(p.handle.x, p.handle.y, p.target.x, p.target.y);
      return out;
    });
  }

  void set_mask(py::handle mask, bool flexible) {
    const ImageShape shape = model_.generator().image_shape();
    torch::Tensor fixed;
    if (py::isinstance<py::str>(mask) || py::hasattr(mask, "__fspath__")) {
      // A painted image, as the CLI's --mask and the editor's brush: bright = may move.
      if (!flexible) throw InputError("fixed=: give an array (1 = keep fixed); a painted image file is flexible=");
      const std::string path = py::str(py::module_::import("os").attr("fspath")(mask));
      fixed = on_file(path, [&] {
        const ImageInfo info = read_image_info(path);
        if (info.height != shape.height || info.width != shape.width)
          throw InputError("flexible= " + path + ": the mask is " + std::to_string(info.width) + "x" +
                           std::to_string(info.height) + " but the model makes " + std::to_string(shape.width) + "x" +
                           std::to_string(shape.height) + " images");
        return mask_from_movable_image(read_image(path), shape.height, shape.width);
      });
    } else {
      const char* name = flexible ? "flexible" : "fixed";
      torch::Tensor given = tensor_from_python(mask, name);
      torch::Tensor official;
      try {
        official = prepare_drag_mask(given, shape.height, shape.width);
      } catch (const InputError& e) {
        throw InputError(std::string(name) + "=: " + e.what());
      }
      fixed = flexible ? 1.0 - official : official.clone();  // never the caller's memory: they may change it
    }
    locked([&](DragSession& s) { s.set_mask(fixed); });
  }

  py::dict settings() {
    const auto [p, r, space] = locked([](DragSession& s) { return std::make_tuple(s.params(), s.resolved(), s.latent_space()); });
    py::dict d;
    d["lr"] = p.lr;
    d["w_plus"] = space == LatentSpace::WPlus;
    d["feature_idx"] = r.feature_block;
    d["feature_layer"] = r.feature_layer;
    d["r1"] = p.r1;
    d["r2"] = p.r2;
    d["r1_pixels"] = r.r1_pixels;
    d["r2_pixels"] = r.r2_pixels;
    d["lambda_mask"] = p.lambda_mask;
    d["reg"] = p.reg;
    d["reg_l2"] = p.reg_l2;
    d["stop_distance"] = r.stop_distance;
    d["optimized_layers"] = r.optimized_layers;
    d["first_optimized_layer"] = r.first_optimized_layer;
    d["noise_mode"] = to_string(p.noise);
    d["exact_grid"] = p.exact_pixel_grid;
    return d;
  }

  void set_settings(const py::kwargs& kw) {
    DragSettings s = settings_;
    s.params = session_->params();
    const DragOverrides o = overrides_from(kw);
    if (o.w_plus && (*o.w_plus != (session_->latent_space() == LatentSpace::WPlus)))
      throw InputError("w_plus cannot change during a session: start a new DragSession");
    o.apply(s);
    locked([&](DragSession& session) { session.set_params(s.params); });
  }

  std::optional<int> recorded_max_steps() const { return settings_.max_steps; }
  ModelHandle model() const { return model_; }

 private:
  ModelHandle model_;
  DragSettings settings_;
  std::unique_ptr<DragSession> session_;
  std::mutex mutex_;
};

}  // namespace

void bind_drag(py::module_& m) {
  py::class_<SessionCore>(m, "DragSessionCore", "The engine behind draggan_cpp.DragSession (points as x, y).")
      .def(py::init<ModelHandle, py::handle, py::kwargs>(), py::arg("model"), py::arg("w"))
      .def("step", &SessionCore::step, py::arg("with_image") = false)
      .def("image", &SessionCore::image)
      .def("pairs", &SessionCore::pairs)
      .def("set_pairs",
           [](SessionCore& c, const std::vector<Pair>& pairs) {
             const auto converted = to_pairs(pairs);
             c.locked([&](DragSession& s) { s.set_pairs(converted); });
           })
      .def("add_pair",
           [](SessionCore& c, double hx, double hy, double tx, double ty) {
             return c.locked([&](DragSession& s) { return s.add_pair({hx, hy}, {tx, ty}); });
           })
      .def("remove_pair", [](SessionCore& c, int i) { c.locked([&](DragSession& s) { s.remove_pair(i); }); })
      .def("clear_pairs", [](SessionCore& c) { c.locked([](DragSession& s) { s.clear_pairs(); }); })
      .def("set_handle",
           [](SessionCore& c, int i, double x, double y) { c.locked([&](DragSession& s) { s.set_handle(i, {x, y}); }); })
      .def("set_target",
           [](SessionCore& c, int i, double x, double y) { c.locked([&](DragSession& s) { s.set_target(i, {x, y}); }); })
      .def("set_mask", &SessionCore::set_mask, py::arg("mask"), py::arg("flexible"))
      .def("clear_mask", [](SessionCore& c) { c.locked([](DragSession& s) { s.clear_mask(); }); })
      .def("has_mask", [](SessionCore& c) { return c.locked([](DragSession& s) { return s.has_mask(); }); })
      .def("reset", [](SessionCore& c) { c.locked([](DragSession& s) { s.reset(); }); })
      .def("w", [](SessionCore& c) { return numpy_from_tensor(c.locked([](DragSession& s) { return s.ws(); })); })
      .def("start_w",
           [](SessionCore& c) { return numpy_from_tensor(c.locked([](DragSession& s) { return s.start_ws().clone(); })); })
      .def("set_start_w",
           [](SessionCore& c, py::handle w) {
             torch::Tensor ws = c.model().latent(w, "w");
             c.locked([&](DragSession& s) { s.set_start_latent(ws); });
           })
      .def("steps_taken", [](SessionCore& c) { return c.locked([](DragSession& s) { return s.steps_taken(); }); })
      .def("settings", &SessionCore::settings)
      .def("set_settings", &SessionCore::set_settings)
      .def("recorded_max_steps", &SessionCore::recorded_max_steps)
      .def("model", &SessionCore::model);
}

}  // namespace draggan::python
