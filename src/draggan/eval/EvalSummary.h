// Aggregates of an evaluation: per group of drags (all, each setting, each distance), the rates and the
// mean / median of each measure, as a table for people and as JSON for scripts.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "draggan/eval/DragEvaluation.h"

namespace draggan {

struct MeanMedian {
  double mean = 0, median = 0;
};

struct GroupSummary {
  std::string name;
  int drags = 0;
  double reached_rate = 0;          // engine tracking within the stop distance
  double tracked_reached_rate = 0;  // independent tracker within the stop distance
  std::optional<double> class_kept_rate;
  std::optional<double> reached_and_kept_rate;  // both at once: what a drag should do
  MeanMedian steps, seconds, engine_distance, tracked_distance, start_distance;
  std::optional<MeanMedian> psnr_outside, ssim_outside, lpips_outside;
};

// A start image the classifier gives at least this probability is "sure": a class it is unsure of is often
// lost to the smallest change, so the "sure start" group tells a drag's class changes from the classifier's
// doubt.
constexpr double kSureStartProbability = 0.8;

// PSNR of identical pixels is infinite; averages count it as this many dB.
constexpr double kPsnrCap = 100.0;

GroupSummary summarize(const std::string& name, const std::vector<const DragOutcome*>& outcomes);

// "all", then one group per setting key (1pt, 1pt+mask, ...) and one per distance level, in first-seen order,
// then (with classes) "sure start": the drags whose start class had probability >= kSureStartProbability.
std::vector<GroupSummary> summarize_groups(const std::vector<DragOutcome>& outcomes);

// The table printed to stdout.
std::string summary_table(const std::vector<GroupSummary>& groups);

nlohmann::json to_json(const GroupSummary& g);

}  // namespace draggan
