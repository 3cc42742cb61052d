#include <gtest/gtest.h>

#include "draggan/eval/EvalSummary.h"

namespace eval_summary_test {

draggan::DragOutcome outcome(bool reached, int label_before, int label_after, double p_before) {
  draggan::DragOutcome o;
  o.drag.points = 1;
  o.points.push_back({});
  o.reached = reached;
  o.class_before = draggan::ClassOutcome{label_before, "c" + std::to_string(label_before), p_before};
  o.class_after = draggan::ClassOutcome{label_after, "c" + std::to_string(label_after), 0.9};
  return o;
}


// "both" counts the drags that reached and kept their class; "sure start" holds the drags whose start class
// was given at least kSureStartProbability, with its own rates.
TEST(EvalSummary, BothRateAndSureStartGroup) {
  const double sure = draggan::kSureStartProbability, unsure = sure - 0.3;
  const std::vector<draggan::DragOutcome> outcomes{
      outcome(true, 1, 1, sure),    // reached, kept, sure
      outcome(true, 2, 3, unsure),  // reached, changed
      outcome(false, 4, 4, sure),   // kept, not reached
      outcome(true, 5, 5, unsure),  // reached, kept
  };
  const std::vector<draggan::GroupSummary> groups = draggan::summarize_groups(outcomes);
  ASSERT_EQ(groups.front().name, "all");
  EXPECT_DOUBLE_EQ(*groups.front().class_kept_rate, 0.75);
  EXPECT_DOUBLE_EQ(*groups.front().reached_and_kept_rate, 0.5);
  const draggan::GroupSummary& last = groups.back();
  ASSERT_EQ(last.name, "sure start");
  EXPECT_EQ(last.drags, 2);
  EXPECT_DOUBLE_EQ(last.reached_rate, 0.5);
  EXPECT_DOUBLE_EQ(*last.class_kept_rate, 1.0);
  EXPECT_DOUBLE_EQ(*last.reached_and_kept_rate, 0.5);
  EXPECT_EQ(draggan::to_json(last)["reached_and_kept_rate"], 0.5);
  EXPECT_NE(draggan::summary_table(groups).find("both"), std::string::npos);

  // Without a classifier there are no class rates and no "sure start" group.
  std::vector<draggan::DragOutcome> unclassified = outcomes;
  for (auto& o : unclassified) o.class_before = o.class_after = std::nullopt;
  const std::vector<draggan::GroupSummary> plain = draggan::summarize_groups(unclassified);
  EXPECT_FALSE(plain.front().reached_and_kept_rate.has_value());
  EXPECT_NE(plain.back().name, "sure start");
}

}  // namespace eval_summary_test
