#include "draggan/eval/EvalSummary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

namespace draggan {
namespace {

MeanMedian mean_median(std::vector<double> v) {
  MeanMedian m;
  if (v.empty()) return m;
  double sum = 0;
  for (double x : v) sum += x;
  m.mean = sum / static_cast<double>(v.size());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  m.median = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  return m;
}

std::optional<MeanMedian> optional_mean_median(const std::vector<double>& v) {
  if (v.empty()) return std::nullopt;
  return mean_median(v);
}

std::string distance_group(const DragOutcome& o) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "move %.0f px", o.drag.nominal_distance);
  return buf;
}

nlohmann::json mm_json(const MeanMedian& m) { return {{"mean", m.mean}, {"median", m.median}}; }
nlohmann::json mm_json(const std::optional<MeanMedian>& m) { return m ? mm_json(*m) : nlohmann::json(nullptr); }

}  // namespace

GroupSummary summarize(const std::string& name, const std::vector<const DragOutcome*>& outcomes) {
  GroupSummary g;
  g.name = name;
  g.drags = static_cast<int>(outcomes.size());
  if (outcomes.empty()) return g;
  std::vector<double> steps, seconds, engine, tracked, start, psnr, ssim, lpips;
  int reached = 0, tracked_reached = 0, kept = 0, classified = 0, both = 0;
  for (const DragOutcome* o : outcomes) {
    reached += o->reached;
    tracked_reached += o->tracked_reached;
    if (auto k = o->class_kept()) {
      ++classified;
      kept += *k;
      both += *k && o->reached;
    }
    steps.push_back(o->steps);
    seconds.push_back(o->ms / 1000.0);
    engine.push_back(o->mean_engine_distance());
    tracked.push_back(o->mean_tracked_distance());
    double d0 = 0;
    for (const auto& p : o->points) d0 += std::hypot(p.target.x - p.start.x, p.target.y - p.start.y);
    start.push_back(d0 / static_cast<double>(std::max<size_t>(o->points.size(), 1)));
    if (o->psnr_outside) psnr.push_back(std::min(*o->psnr_outside, kPsnrCap));
    if (o->ssim_outside) ssim.push_back(*o->ssim_outside);
    if (o->lpips_outside) lpips.push_back(*o->lpips_outside);
  }
  const double n = static_cast<double>(outcomes.size());
  g.reached_rate = reached / n;
  g.tracked_reached_rate = tracked_reached / n;
  if (classified) {
    g.class_kept_rate = static_cast<double>(kept) / classified;
    g.reached_and_kept_rate = static_cast<double>(both) / classified;
  }
  g.steps = mean_median(steps);
  g.seconds = mean_median(seconds);
  g.engine_distance = mean_median(engine);
  g.tracked_distance = mean_median(tracked);
  g.start_distance = mean_median(start);
  g.psnr_outside = optional_mean_median(psnr);
  g.ssim_outside = optional_mean_median(ssim);
  g.lpips_outside = optional_mean_median(lpips);
  return g;
}

std::vector<GroupSummary> summarize_groups(const std::vector<DragOutcome>& outcomes) {
  std::vector<const DragOutcome*> all, sure_start;
  std::vector<std::string> setting_order, distance_order;
  std::map<std::string, std::vector<const DragOutcome*>> by_setting, by_distance;
  for (const DragOutcome& o : outcomes) {
    all.push_back(&o);
    const std::string s = o.drag.setting_key(), d = distance_group(o);
    if (!by_setting.count(s)) setting_order.push_back(s);
    if (!by_distance.count(d)) distance_order.push_back(d);
    by_setting[s].push_back(&o);
    by_distance[d].push_back(&o);
    if (o.class_before && o.class_before->probability >= kSureStartProbability) sure_start.push_back(&o);
  }
  std::vector<GroupSummary> groups{summarize("all", all)};
  for (const auto& s : setting_order) groups.push_back(summarize(s, by_setting[s]));
  for (const auto& d : distance_order) groups.push_back(summarize(d, by_distance[d]));
  if (!sure_start.empty()) groups.push_back(summarize("sure start", sure_start));
  return groups;
}

std::string summary_table(const std::vector<GroupSummary>& groups) {
  const bool classes = std::any_of(groups.begin(), groups.end(), [](const auto& g) { return g.class_kept_rate; });
  const bool lpips = std::any_of(groups.begin(), groups.end(), [](const auto& g) { return g.lpips_outside; });
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-12s %5s %8s %8s %8s %8s %13s %13s %13s %11s %7s %7s%s %7s\n", "group",
                "drags", "reached", "tracked", classes ? "class" : "", classes ? "both" : "", "start px",
                "engine px", "tracked px", "steps", "PSNR", "SSIM", lpips ? "  1-LPIPS" : "", "s/drag");
  out << line;
  std::snprintf(line, sizeof(line), "%-12s %5s %8s %8s %8s %8s %13s %13s %13s %11s %7s %7s%s %7s\n", "", "",
                "%", "%", classes ? "kept %" : "", classes ? "%" : "", "mean/median", "mean/median",
                "mean/median", "mean/median", "out", "out", lpips ? "      out" : "", "mean");
  out << line;
  for (const GroupSummary& g : groups) {
    char kept[16] = "";
    char both[16] = "";
    if (g.class_kept_rate) std::snprintf(kept, sizeof(kept), "%.1f", 100 * *g.class_kept_rate);
    if (g.reached_and_kept_rate) std::snprintf(both, sizeof(both), "%.1f", 100 * *g.reached_and_kept_rate);
    char lp[16] = "";
    if (lpips) std::snprintf(lp, sizeof(lp), "  %7.3f", g.lpips_outside ? 1.0 - g.lpips_outside->mean : NAN);
    std::snprintf(line, sizeof(line),
                  "%-12s %5d %8.1f %8.1f %8s %8s %6.2f/%-6.2f %6.2f/%-6.2f %6.2f/%-6.2f %5.0f/%-5.0f %7.2f "
                  "%7.3f%s %7.2f\n",
                  g.name.c_str(), g.drags, 100 * g.reached_rate, 100 * g.tracked_reached_rate, kept, both,
                  g.start_distance.mean, g.start_distance.median, g.engine_distance.mean,
                  g.engine_distance.median, g.tracked_distance.mean, g.tracked_distance.median, g.steps.mean,
                  g.steps.median, g.psnr_outside ? g.psnr_outside->mean : NAN,
                  g.ssim_outside ? g.ssim_outside->mean : NAN, lp, g.seconds.mean);
    out << line;
  }
  return out.str();
}

nlohmann::json to_json(const GroupSummary& g) {
  return {
      {"group", g.name},
      {"drags", g.drags},
      {"reached_rate", g.reached_rate},
      {"tracked_reached_rate", g.tracked_reached_rate},
      {"class_kept_rate", g.class_kept_rate ? nlohmann::json(*g.class_kept_rate) : nlohmann::json(nullptr)},
      {"reached_and_kept_rate",
       g.reached_and_kept_rate ? nlohmann::json(*g.reached_and_kept_rate) : nlohmann::json(nullptr)},
      {"start_distance", mm_json(g.start_distance)},
      {"engine_distance", mm_json(g.engine_distance)},
      {"tracked_distance", mm_json(g.tracked_distance)},
      {"steps", mm_json(g.steps)},
      {"seconds", mm_json(g.seconds)},
      {"psnr_outside", mm_json(g.psnr_outside)},
      {"ssim_outside", mm_json(g.ssim_outside)},
      {"lpips_outside", mm_json(g.lpips_outside)}};
}

}  // namespace draggan
