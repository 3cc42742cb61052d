// The shipped model's drags, measured as `draggan eval` measures them, with the settings its file records: the
// first 18 drags of the model card's set (`draggan eval --drags 18 --seed 0`, each setting once) reach their
// targets and keep their garment class at the rates models/README.md states (less a margin: other thread counts
// round differently, and a drag's trajectory can follow).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>

#include "draggan/classify/ClassifierFile.h"
#include "draggan/drag/DragDefaults.h"
#include "draggan/eval/DragEvaluation.h"
#include "draggan/eval/EvalSummary.h"
#include "draggan/io/ModelFile.h"

namespace draggan {
namespace shipped_model_eval_test {

const std::string kModels = std::string(DRAGGAN_SOURCE_DIR) + "/models";

TEST(ShippedModelEval, DragsReachTheirTargetsAndKeepTheirClass) {
  LoadedModel model = load_model(kModels + "/default.safetensors");
  LoadedClassifier classifier = load_classifier(kModels + "/default.classifier.safetensors");
  const DragSettings settings = model_drag_settings(model);
  ASSERT_TRUE(settings.max_steps.has_value()) << "the shipped model records its step limit";
  EvaluationSetup setup;
  setup.settings = settings;
  setup.max_steps = *settings.max_steps;
  DragEvaluator evaluator(model, setup, &classifier.net);
  DragSetOptions set;
  set.count = 18;  // each setting once
  set.seed = 0;
  std::vector<DragOutcome> outcomes;
  for (int i = 0; i < set.count; ++i)
    outcomes.push_back(evaluator.run(make_eval_drag(set, i, evaluator.height(), evaluator.width(),
                                                    [&](uint32_t s) { return evaluator.start_image(s); })));
  const GroupSummary all = summarize("all", [&] {
    std::vector<const DragOutcome*> v;
    for (const auto& o : outcomes) v.push_back(&o);
    return v;
  }());
  std::printf("%s", summary_table({all}).c_str());
  // The generator fine-tuned on shifted and bent garments, ws row 0 fixed (drag_first_layer 1). The generator
  // before it (shifts only) measured 15 / 9 / 7 of these 18, under the bounds on class kept and both.
  EXPECT_GE(all.reached_rate, 0.77);  // measured 16 of 18 (models/README.md, fifth pass)
  ASSERT_TRUE(all.class_kept_rate.has_value());
  EXPECT_GE(*all.class_kept_rate, 0.55);       // measured 12 of 18
  EXPECT_GE(*all.reached_and_kept_rate, 0.5);  // measured 11 of 18
}

}  // namespace shipped_model_eval_test
}  // namespace draggan
