// `draggan eval`: how well drags work on a model. A seeded set of drags (eval/DragSet.h) is run with the
// model's drag settings (or the options given); each is measured by the engine's tracking, an independent
// patch tracker, the image outside the moved region and, with a classifier, whether the object kept its
// class. Prints a summary table; --json and --report DIR keep everything (eval/EvalReport.h). Under torchrun
// (or --rank/--world-size) drag i runs on rank i mod N and rank 0 gathers them: the same JSON, table and
// report as one process.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "DistCliOptions.h"
#include "DragCliOptions.h"
#include "Subcommands.h"
#include "draggan/classify/ClassifierFile.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/eval/DragEvaluation.h"
#include "draggan/eval/EvalReport.h"
#include "draggan/eval/EvalSummary.h"
#include "draggan/eval/OutcomeCodec.h"
#include "draggan/io/ModelProvenance.h"
#include "draggan/invert/LpipsVgg16.h"

namespace draggan::tools {
namespace {

namespace fs = std::filesystem;

struct EvalOptions {
  std::string model;
  DragSetOptions set;
  std::string json;
  std::string report;
  std::string classifier;  // "" = the model's companion file if there is one; "none" = no classifier
  std::string vgg, lpips;
  DragCliOptions drag;
  DistCliOptions dist;
};

// The classifier shipped beside a model, when there is one.
std::string companion_classifier(const std::string& model_path) {
  const std::string c = companion_classifier_path(model_path);
  std::error_code ec;
  return fs::exists(c, ec) ? c : std::string();
}

std::string drag_line(const EvalDrag& drag, const DragOutcome& o, int count) {
  std::string cls;
  if (o.class_kept())
    cls = ", " + o.class_before->name + (*o.class_kept() ? " kept" : " -> " + o.class_after->name);
  char line[256];
  std::snprintf(
      line, sizeof(line), "drag %d/%d: seed %u, %s, %.0f px: %s in %d steps, %.2f px (tracked %.2f)",
      drag.index + 1, count, drag.image_seed, drag.setting_key().c_str(), drag.nominal_distance,
      o.reached ? "reached" : "not reached", o.steps, o.mean_engine_distance(), o.mean_tracked_distance());
  return line + cls;
}

// Rank 0 gets every rank's drags (each shard encoded by OutcomeCodec) and puts them back in drag order.
std::vector<DragOutcome> gather_outcomes(dist::Communicator& group, const std::vector<DragOutcome>& mine,
                                         int count) {
  // The ranks finish their shards at different times: wait for the slowest before the collective, however
  // long.
  group.wait_for_all("eval drags");
  const std::vector<std::string> shards = group.gather(encode_outcomes(mine));
  std::vector<DragOutcome> all;
  for (size_t r = 0; r < shards.size(); ++r) {
    for (DragOutcome& o : decode_outcomes(shards[r], "rank " + std::to_string(r) + "'s drags")) {
      if (r != 0) log::info(drag_line(o.drag, o, count), " (rank ", r, ")");
      all.push_back(std::move(o));
    }
  }
  std::sort(all.begin(), all.end(),
            [](const DragOutcome& a, const DragOutcome& b) { return a.drag.index < b.drag.index; });
  return all;
}

int run_eval(EvalOptions opt, dist::Communicator* group, const torch::Device& device) {
  opt.set.validate();
  if (opt.vgg.empty() != opt.lpips.empty())
    throw InputError("eval: LPIPS needs both --vgg (torchvision vgg16 .pth) and --lpips (lpips vgg.pth)");
  const int rank = group ? group->rank() : 0, ranks = group ? group->world_size() : 1;
  const std::string model_path = opt.model.empty() ? default_model_path() : opt.model;
  LoadedModel model = load_model(model_path, device);

  EvaluationSetup setup;
  setup.settings = opt.drag.resolve(model);
  setup.max_steps = *setup.settings.max_steps;
  setup.psi = opt.set.psi;
  if (setup.max_steps < 1) throw InputError("eval: --steps must be >= 1");

  std::unique_ptr<LoadedClassifier> classifier;
  const std::string classifier_path = opt.classifier.empty() ? companion_classifier(model_path) : opt.classifier;
  if (!classifier_path.empty() && classifier_path != "none") {
    classifier = std::make_unique<LoadedClassifier>(load_classifier(classifier_path, device));
    log::info("eval: classes by ", classifier_path,
              classifier->test_accuracy ? " (test accuracy " + std::to_string(100 * *classifier->test_accuracy) + "%)"
                                        : std::string());
  }
  std::unique_ptr<LpipsVgg16> lpips;
  if (!opt.lpips.empty()) lpips = std::make_unique<LpipsVgg16>(opt.vgg, opt.lpips, device);

  DragEvaluator evaluator(model, setup, classifier ? &classifier->net : nullptr, lpips.get());
  const ResolvedDragParams resolved = resolve_drag_params(setup.settings.params, *model.generator);
  log::info("eval: ", opt.set.count, " drags (seed ", opt.set.seed, ") on ", model_path, ": ",
            to_string(setup.settings.space), ", ", resolved.optimized_layers - resolved.first_optimized_layer,
            " layer(s) from ws row ", resolved.first_optimized_layer, ", lr ",
            setup.settings.params.lr, ", r1 ", resolved.r1_pixels, " px, r2 ", resolved.r2_pixels, " px, stop at ",
            resolved.stop_distance, " px or ", setup.max_steps, " steps");

  if (!opt.report.empty() && rank == 0) fs::create_directories(opt.report);
  const ImageProvenance model_record = opt.report.empty() ? ImageProvenance{} : image_provenance_of(model);
  std::vector<DragOutcome> outcomes;
  std::vector<DragImageFiles> files;
  if (group) log::info("eval: rank 0 of ", ranks, " runs drags 1, ", 1 + ranks, ", ", 1 + 2 * ranks, ", ...");
  for (int i = rank; i < opt.set.count; i += ranks) {
    const EvalDrag drag = make_eval_drag(opt.set, i, evaluator.height(), evaluator.width(),
                                         [&](uint32_t seed) { return evaluator.start_image(seed); });
    DragOutcome o = evaluator.run(drag);
    log::info(drag_line(drag, o, opt.set.count));
    if (!opt.report.empty() && !group) files.push_back(write_drag_images(opt.report, o, model_record, opt.set.psi));
    // Without a report only the measurements are needed; the images go to rank 0 when it writes the report.
    if (opt.report.empty()) o.before = o.after = torch::Tensor();
    if (opt.report.empty() && group) o.region = torch::Tensor();
    outcomes.push_back(std::move(o));
  }
  if (group) {
    outcomes = gather_outcomes(*group, outcomes, opt.set.count);
    if (rank != 0) return 0;
    if (!opt.report.empty())
      for (const DragOutcome& o : outcomes) files.push_back(write_drag_images(opt.report, o, model_record, opt.set.psi));
  }

  const std::vector<GroupSummary> groups = summarize_groups(outcomes);
  std::cout << summary_table(groups);
  EvalRunInfo info;
  info.model_path = model_path;
  info.set = opt.set;
  info.setup = setup;
  info.resolved = resolved;
  info.height = evaluator.height();
  info.width = evaluator.width();
  info.channels = model.generator->image_shape().channels;
  info.classifier = classifier.get();
  info.perceptual = lpips ? lpips->name() : "";
  const nlohmann::json doc = eval_document(info, outcomes, groups, files);
  if (!opt.json.empty()) write_json_file(opt.json, doc);
  if (!opt.report.empty()) {
    write_report_index(opt.report, doc);
    log::info("eval: report in ", opt.report, "/index.html");
  }
  return 0;
}

SubcommandRunner setup_eval(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<EvalOptions>();
  sub.add_option("-m,--model", opt->model, "Checkpoint (.pkl or .safetensors); default: the shipped model");
  sub.add_option("--drags", opt->set.count, "Number of drags (every 18 cover each setting once)")->capture_default_str();
  sub.add_option("-s,--seed", opt->set.seed, "Seed of the drag set (images, points, targets)")->capture_default_str();
  sub.add_option("--psi", opt->set.psi, "Truncation psi of the start latents")->capture_default_str();
  sub.add_option("--json", opt->json, "Write every drag's measurements and the summary as JSON");
  sub.add_option("--report", opt->report, "Folder for before/after images, contact sheets, eval.json, index.html");
  sub.add_option("--classifier", opt->classifier,
                 "Classifier (.safetensors from train-classifier) for 'class kept'; default: "
                 "<model stem>.classifier.safetensors beside the model if present; 'none' to skip");
  sub.add_option("--vgg", opt->vgg, "torchvision vgg16 weights (.pth), with --lpips: 1 - LPIPS outside the region");
  sub.add_option("--lpips", opt->lpips, "LPIPS linear-layer weights (lpips package's vgg.pth), with --vgg");
  opt->drag.add_to(sub, 200);
  opt->dist.add_to(sub);
  return [opt, &common] {
    RankSetup rank = join_group(opt->dist, common, /*tensors_on_device=*/false);
    return run_as_rank(rank, [&] { return run_eval(*opt, rank.group.get(), rank.device); });
  };
}

const RegisterSubcommand kEval{"eval", "Measure drag quality on a seeded set of drags (reached, tracked, kept)", 45,
                               &setup_eval};

}  // namespace
}  // namespace draggan::tools
