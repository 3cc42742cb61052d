// draggan_cpp._engine.evaluate: `draggan eval` from Python. The same seeded drag set, the same measures and the
// same JSON document (returned as a str for json.loads); each drag runs without the GIL and Ctrl-C stops the
// evaluation between drags.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "DragOverrides.h"
#include "ModelHandle.h"
#include "PythonErrors.h"
#include "TensorBridge.h"
#include "draggan/classify/ClassifierFile.h"
#include "draggan/eval/DragEvaluation.h"
#include "draggan/eval/EvalReport.h"
#include "draggan/eval/EvalSummary.h"
#include "draggan/invert/LpipsVgg16.h"

namespace py = pybind11;

namespace draggan::python {
namespace {

namespace fs = std::filesystem;

struct EvalArgs {
  DragSetOptions set;
  std::optional<int> max_steps;
  std::string classifier = "auto";  // "auto": the model's companion file when there is one; "none": no classes
  std::string vgg, lpips;
  std::string report, json;
};

std::string classifier_path(const EvalArgs& a, const LoadedModel& model) {
  if (a.classifier == "none") return "";
  if (a.classifier != "auto") return a.classifier;
  const std::string companion = companion_classifier_path(model.path);
  std::error_code ec;
  return fs::exists(companion, ec) ? companion : "";
}

std::string evaluate(const ModelHandle& model, const EvalArgs& a, const DragOverrides& overrides, py::object progress) {
  a.set.validate();
  if (a.vgg.empty() != a.lpips.empty())
    throw InputError("evaluate: LPIPS needs both vgg= (torchvision vgg16 .pth) and lpips= (lpips vgg.pth)");
  LoadedModel& loaded = *model.loaded;
  const torch::Device device = loaded.generator->device();
  EvaluationSetup setup;
  setup.settings = model_drag_settings(loaded);
  overrides.apply(setup.settings);
  setup.max_steps = a.max_steps ? *a.max_steps : setup.settings.max_steps.value_or(200);
  setup.psi = a.set.psi;
  if (setup.max_steps < 1) throw InputError("evaluate: max_steps must be >= 1");

  std::unique_ptr<LoadedClassifier> classifier;
  const std::string cpath = classifier_path(a, loaded);
  if (!cpath.empty()) {
    classifier = on_file(cpath, [&] {
      py::gil_scoped_release unlocked;
      return std::make_unique<LoadedClassifier>(load_classifier(cpath, device));
    });
  }
  std::unique_ptr<LpipsVgg16> lpips;
  if (!a.lpips.empty()) {
    lpips = on_file(a.vgg, [&] {
      return on_file(a.lpips, [&] {
        py::gil_scoped_release unlocked;
        return std::make_unique<LpipsVgg16>(a.vgg, a.lpips, device);
      });
    });
  }
  DragEvaluator evaluator(loaded, setup, classifier ? &classifier->net : nullptr, lpips.get());
  const ResolvedDragParams resolved = resolve_drag_params(setup.settings.params, *loaded.generator);

  if (!a.report.empty()) fs::create_directories(a.report);
  std::vector<DragOutcome> outcomes;
  std::vector<DragImageFiles> files;
  for (int i = 0; i < a.set.count; ++i) {
    raise_on_signal();
    nlohmann::json outcome;
    {
      py::gil_scoped_release unlocked;
      const EvalDrag drag = make_eval_drag(a.set, i, evaluator.height(), evaluator.width(),
                                           [&](uint32_t seed) { return evaluator.start_image(seed); });
      DragOutcome o = evaluator.run(drag);
      if (!a.report.empty()) files.push_back(write_drag_images(a.report, o));
      outcome = drag_outcome_json(o, a.report.empty() ? nullptr : &files.back());
      if (a.report.empty()) o.before = o.after = torch::Tensor();  // only the summary needs it now
      outcomes.push_back(std::move(o));
    }
    if (!progress.is_none()) progress(i + 1, a.set.count, py::module_::import("json").attr("loads")(outcome.dump()));
  }
  const std::vector<GroupSummary> groups = summarize_groups(outcomes);
  EvalRunInfo info;
  info.model_path = loaded.path;
  info.set = a.set;
  info.setup = setup;
  info.resolved = resolved;
  info.height = evaluator.height();
  info.width = evaluator.width();
  info.channels = loaded.generator->image_shape().channels;
  info.classifier = classifier.get();
  info.perceptual = lpips ? lpips->name() : "";
  const nlohmann::json doc = eval_document(info, outcomes, groups, files);
  if (!a.json.empty()) write_json_file(a.json, doc);
  if (!a.report.empty()) write_report_index(a.report, doc);
  return doc.dump();
}

}  // namespace

void bind_eval(py::module_& m) {
  m.def(
      "evaluate",
      [](const ModelHandle& model, int drags, int64_t seed, double psi, std::optional<int> max_steps,
         std::optional<std::string> classifier, std::optional<std::string> vgg, std::optional<std::string> lpips,
         std::optional<std::string> report, std::optional<std::string> json, py::object progress,
         const py::kwargs& settings) {
        if (seed < 0) throw InputError("seed must be >= 0");
        EvalArgs a;
        a.set.count = drags;
        a.set.seed = static_cast<uint64_t>(seed);
        a.set.psi = psi;
        a.max_steps = max_steps;
        a.classifier = classifier.value_or("none");
        a.vgg = vgg.value_or("");
        a.lpips = lpips.value_or("");
        a.report = report.value_or("");
        a.json = json.value_or("");
        return evaluate(model, a, overrides_from(settings), std::move(progress));
      },
      py::arg("model"), py::arg("drags"), py::arg("seed"), py::arg("psi"), py::arg("max_steps"), py::arg("classifier"),
      py::arg("vgg"), py::arg("lpips"), py::arg("report"), py::arg("json"), py::arg("progress"));
}

}  // namespace draggan::python
