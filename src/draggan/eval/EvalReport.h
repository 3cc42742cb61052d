// What `draggan eval` leaves behind: one JSON document with everything needed to recompute its rates (per drag:
// points, targets, final handles by both trackers, distances, classes before and after, image file names) and,
// in a report folder, the before/after images, a contact sheet per drag and an index.html to browse them.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "draggan/eval/DragEvaluation.h"
#include "draggan/eval/EvalSummary.h"
#include "draggan/provenance/ImageProvenance.h"

namespace draggan {

struct EvalRunInfo {
  std::string model_path;
  DragSetOptions set;
  EvaluationSetup setup;
  ResolvedDragParams resolved;
  int height = 0, width = 0, channels = 0;
  const LoadedClassifier* classifier = nullptr;  // null: classes not measured
  std::string perceptual;                        // "" or the metric's name ("lpips-vgg16")
};

struct DragImageFiles {
  std::string before, after, sheet, mask;  // relative to the report folder; mask empty for unmasked drags
};

nlohmann::json drag_outcome_json(const DragOutcome& outcome, const DragImageFiles* files);

// files: one entry per outcome, or empty when no report folder was written.
nlohmann::json eval_document(const EvalRunInfo& info, const std::vector<DragOutcome>& outcomes,
                             const std::vector<GroupSummary>& groups, const std::vector<DragImageFiles>& files);

// drag_NNN_before.png, _after.png, _sheet.png and (masked) _mask.png (white = movable) in `dir`, each with its
// provenance record: `model` (the model's record, io/ModelProvenance.h) with the drag's seed, psi and points.
DragImageFiles write_drag_images(const std::string& dir, const DragOutcome& outcome, const ImageProvenance& model,
                                 double psi);

// eval.json and index.html in `dir`.
void write_report_index(const std::string& dir, const nlohmann::json& document);

void write_json_file(const std::string& path, const nlohmann::json& document);

}  // namespace draggan
