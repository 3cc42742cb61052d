#include "draggan/eval/EvalReport.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "draggan/core/Error.h"
#include "draggan/eval/ContactSheet.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"

namespace draggan {
namespace {

namespace fs = std::filesystem;

nlohmann::json xy(const DragPoint& p) { return {p.x, p.y}; }

nlohmann::json optional_number(const std::optional<double>& v, double cap = INFINITY) {
  if (!v) return nullptr;
  return std::min(*v, cap);
}

nlohmann::json class_json(const std::optional<ClassOutcome>& c) {
  if (!c) return nullptr;
  return {{"label", c->label}, {"name", c->name}, {"probability", c->probability}};
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += ch;
    }
  }
  return out;
}

std::string fmt(double v, const char* format) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

}  // namespace

nlohmann::json drag_outcome_json(const DragOutcome& o, const DragImageFiles* files) {
  nlohmann::json handles = nlohmann::json::array(), targets = nlohmann::json::array(),
                 final_handles = nlohmann::json::array(), tracked = nlohmann::json::array(),
                 engine = nlohmann::json::array(), tracked_d = nlohmann::json::array(),
                 scores = nlohmann::json::array();
  for (const PointOutcome& p : o.points) {
    handles.push_back(xy(p.start));
    targets.push_back(xy(p.target));
    final_handles.push_back(xy(p.final_handle));
    tracked.push_back(xy(p.tracked));
    engine.push_back(p.engine_distance);
    tracked_d.push_back(p.tracked_distance);
    scores.push_back(p.track_score);
  }
  const std::optional<bool> kept = o.class_kept();
  nlohmann::json j{{"index", o.drag.index},
                   {"image_seed", o.drag.image_seed},
                   {"setting", o.drag.setting_key()},
                   {"points", o.drag.points},
                   {"masked", o.drag.masked},
                   {"distance_level", o.drag.distance_level},
                   {"nominal_distance", o.drag.nominal_distance},
                   {"region_radius", o.drag.region_radius},
                   {"handles", handles},
                   {"targets", targets},
                   {"final_handles", final_handles},
                   {"tracked_handles", tracked},
                   {"track_scores", scores},
                   {"engine_distances", engine},
                   {"tracked_distances", tracked_d},
                   {"mean_engine_distance", o.mean_engine_distance()},
                   {"mean_tracked_distance", o.mean_tracked_distance()},
                   {"reached", o.reached},
                   {"tracked_reached", o.tracked_reached},
                   {"steps", o.steps},
                   {"ms", o.ms},
                   {"psnr_outside", optional_number(o.psnr_outside, kPsnrCap)},
                   {"ssim_outside", optional_number(o.ssim_outside)},
                   {"lpips_outside", optional_number(o.lpips_outside)},
                   {"class_before", class_json(o.class_before)},
                   {"class_after", class_json(o.class_after)},
                   {"class_kept", kept ? nlohmann::json(*kept) : nlohmann::json(nullptr)}};
  if (files) {
    j["images"] = {{"before", files->before},
                   {"after", files->after},
                   {"sheet", files->sheet},
                   {"mask", files->mask.empty() ? nlohmann::json(nullptr) : nlohmann::json(files->mask)}};
  } else {
    j["images"] = nullptr;
  }
  return j;
}

nlohmann::json eval_document(const EvalRunInfo& info, const std::vector<DragOutcome>& outcomes,
                             const std::vector<GroupSummary>& groups, const std::vector<DragImageFiles>& files) {
  const DragParams& p = info.setup.settings.params;
  nlohmann::json drags = nlohmann::json::array();
  for (size_t i = 0; i < outcomes.size(); ++i)
    drags.push_back(drag_outcome_json(outcomes[i], files.empty() ? nullptr : &files[i]));
  nlohmann::json summary = nlohmann::json::array();
  for (const GroupSummary& g : groups) summary.push_back(to_json(g));
  nlohmann::json classifier = nullptr;
  if (info.classifier) {
    classifier = {{"path", info.classifier->path},
                  {"classes", info.classifier->net->config().classes},
                  {"test_accuracy", info.classifier->test_accuracy ? nlohmann::json(*info.classifier->test_accuracy)
                                                                    : nlohmann::json(nullptr)}};
  }
  return {{"tool", "draggan eval"},
          {"model", info.model_path},
          {"image", {{"height", info.height}, {"width", info.width}, {"channels", info.channels}}},
          {"seed", info.set.seed},
          {"drag_count", info.set.count},
          {"psi", info.setup.psi},
          {"drag_set",
           {{"point_counts", info.set.point_counts},
            {"distance_fractions", info.set.distance_fractions},
            {"region_fraction", info.set.region_fraction}}},
          {"drag_params",
           {{"lr", p.lr},
            {"space", to_string(info.setup.settings.space)},
            {"optimized_layers", info.resolved.optimized_layers},
            {"first_optimized_layer", info.resolved.first_optimized_layer},
            {"r1", p.r1},
            {"r2", p.r2},
            {"r1_pixels", info.resolved.r1_pixels},
            {"r2_pixels", info.resolved.r2_pixels},
            {"feature_block", info.resolved.feature_block},
            {"feature_layer", info.resolved.feature_layer},
            {"lambda_mask", p.lambda_mask},
            {"reg", p.reg},
            {"reg_l2", p.reg_l2},
            {"noise", to_string(p.noise)},
            {"stop_distance", info.resolved.stop_distance},
            {"max_steps", info.setup.max_steps}}},
          {"definitions",
           {{"reached",
             "every final handle (the engine's tracking on the final image's latent) within stop_distance "
             "px of its target"},
            {"tracked_reached",
             "every tracked handle (normalised cross-correlation of the start image's patch "
             "around the handle, searched in the final image) within stop_distance px"},
            {"class_kept", "the classifier's class of the final image equals that of the start image"},
            {"reached_and_kept_rate", "share of the classified drags that were reached and kept their class"},
            {"sure start", "summary group: the drags whose start class the classifier gave probability >= " +
                               fmt(kSureStartProbability, "%g")},
            {"outside",
             "pixels farther than region_radius from every handle -> target segment; a masked drag may "
             "move only inside that region"},
            {"psnr_outside", "dB over the outside pixels, capped at 100 (identical)"},
            {"ssim_outside", "SSIM map (Gaussian 11x11, sigma 1.5) averaged over the outside pixels"},
            {"lpips_outside",
             "LPIPS between the start image and the final image with the region pasted back from "
             "the start image"}}},
          {"classifier", classifier},
          {"perceptual", info.perceptual.empty() ? nlohmann::json(nullptr) : nlohmann::json(info.perceptual)},
          {"summary", summary},
          {"drags", drags}};
}

DragImageFiles write_drag_images(const std::string& dir, const DragOutcome& o, const ImageProvenance& model,
                                 double psi) {
  char stem[32];
  std::snprintf(stem, sizeof(stem), "drag_%03d", o.drag.index);
  ImageProvenance before = model;
  before.seed = o.drag.image_seed;
  before.psi = psi;
  ImageProvenance after = before;
  DragEdit edit;
  for (const auto& p : o.drag.pairs) edit.points.push_back({p.handle.x, p.handle.y, p.target.x, p.target.y});
  edit.steps = o.steps;
  edit.masked = o.drag.masked;
  after.drags.push_back(edit);
  ImageProvenance sheet = after;
  sheet.description = "Contact sheet of an evaluation drag (draggan eval): AI generated images with the points drawn";
  DragImageFiles f;
  f.before = std::string(stem) + "_before.png";
  f.after = std::string(stem) + "_after.png";
  f.sheet = std::string(stem) + "_sheet.png";
  write_png((fs::path(dir) / f.before).string(), o.before, &before);
  write_png((fs::path(dir) / f.after).string(), o.after, &after);
  write_png((fs::path(dir) / f.sheet).string(), drag_contact_sheet(o), &sheet);
  if (o.drag.masked) {
    ImageProvenance mask = after;
    mask.origin = ImageOrigin::Other;
    mask.description = "The moved region of an evaluation drag (white = movable), drawn by draggan eval";
    f.mask = std::string(stem) + "_mask.png";
    write_png((fs::path(dir) / f.mask).string(), o.region.to(torch::kUInt8) * 255, &mask);
  }
  return f;
}

void write_json_file(const std::string& path, const nlohmann::json& document) {
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::ofstream f(path);
  f << document.dump(1) << '\n';
  if (!f) throw InputError(path + ": write failed");
}

void write_report_index(const std::string& dir, const nlohmann::json& doc) {
  write_json_file((fs::path(dir) / "eval.json").string(), doc);
  std::ofstream html((fs::path(dir) / "index.html").string());
  html << "<!doctype html><meta charset=utf-8><title>draggan eval</title>\n"
          "<style>body{font:14px sans-serif;background:#222;color:#ddd}table{border-collapse:collapse}"
          "td,th{padding:3px 8px;border-bottom:1px solid #444;text-align:right}img{image-rendering:pixelated}"
          ".bad{color:#f77}</style>\n";
  html << "<h1>draggan eval</h1><p>model " << html_escape(doc["model"].get<std::string>()) << ", seed "
       << doc["seed"] << ", " << doc["drags"].size() << " drags; parameters "
       << html_escape(doc["drag_params"].dump()) << "</p>\n";
  html << "<p>Sheets: start image (handles red, targets blue) | final image (engine's handles red, independent "
          "tracker green) | difference x3 (moved region outlined yellow; a masked drag's fixed area dimmed).</p>\n";
  html << "<h2>Summary</h2><table><tr><th>group<th>drags<th>reached %<th>tracked %<th>class kept %<th>both %"
          "<th>engine px<th>tracked px<th>steps<th>PSNR out<th>SSIM out</tr>\n";
  auto pct = [](const nlohmann::json& v) { return v.is_null() ? std::string("–") : fmt(100 * v.get<double>(), "%.1f"); };
  auto num = [](const nlohmann::json& v, const char* f) {
    return v.is_null() ? std::string("–") : fmt(v.get<double>(), f);
  };
  for (const auto& g : doc["summary"]) {
    html << "<tr><td>" << html_escape(g["group"].get<std::string>()) << "<td>" << g["drags"] << "<td>"
         << pct(g["reached_rate"]) << "<td>" << pct(g["tracked_reached_rate"]) << "<td>"
         << pct(g["class_kept_rate"]) << "<td>" << pct(g["reached_and_kept_rate"]) << "<td>"
         << num(g["engine_distance"]["mean"], "%.2f") << "<td>" << num(g["tracked_distance"]["mean"], "%.2f")
         << "<td>" << num(g["steps"]["mean"], "%.0f") << "<td>"
         << (g["psnr_outside"].is_null() ? "–" : num(g["psnr_outside"]["mean"], "%.2f")) << "<td>"
         << (g["ssim_outside"].is_null() ? "–" : num(g["ssim_outside"]["mean"], "%.3f")) << "</tr>\n";
  }
  html << "</table><h2>Drags</h2><table><tr><th>#<th>setting<th>seed<th>reached<th>steps<th>engine px<th>tracked px"
          "<th>class<th>PSNR<th>SSIM<th>sheet</tr>\n";
  for (const auto& d : doc["drags"]) {
    std::string cls = "–";
    bool class_changed = false;
    if (!d["class_before"].is_null()) {
      cls = html_escape(d["class_before"]["name"].get<std::string>()) + " &rarr; " +
            html_escape(d["class_after"]["name"].get<std::string>());
      class_changed = !d["class_kept"].get<bool>();
    }
    html << "<tr><td>" << d["index"] << "<td>" << html_escape(d["setting"].get<std::string>()) << ", "
         << fmt(d["nominal_distance"].get<double>(), "%.0f") << " px<td>" << d["image_seed"] << "<td"
         << (d["reached"].get<bool>() ? ">yes" : " class=bad>no") << "<td>" << d["steps"] << "<td>"
         << fmt(d["mean_engine_distance"].get<double>(), "%.2f") << "<td>"
         << fmt(d["mean_tracked_distance"].get<double>(), "%.2f") << "<td" << (class_changed ? " class=bad>" : ">")
         << cls << "<td>" << num(d["psnr_outside"], "%.1f") << "<td>" << num(d["ssim_outside"], "%.3f") << "<td>";
    if (!d["images"].is_null())
      html << "<img src=\"" << html_escape(d["images"]["sheet"].get<std::string>()) << "\" height=160>";
    html << "</tr>\n";
  }
  html << "</table>\n";
  if (!html) throw InputError(dir + "/index.html: write failed");
}

}  // namespace draggan
