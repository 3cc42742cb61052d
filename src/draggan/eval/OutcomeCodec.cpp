#include "draggan/eval/OutcomeCodec.h"

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "draggan/core/Error.h"
#include "draggan/io/Safetensors.h"

namespace draggan {
namespace {

// Hexadecimal floating point ("%a"): exact, and it spells infinity and NaN, which JSON numbers cannot.
nlohmann::json exact_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

double read_exact_text(const nlohmann::json& j) { return std::strtod(j.get<std::string>().c_str(), nullptr); }

nlohmann::json exact_text_or_null(const std::optional<double>& v) {
  return v ? exact_text(*v) : nlohmann::json(nullptr);
}

std::optional<double> read_exact_text_or_null(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  return read_exact_text(j);
}

// json::array: a braced pair whose first element is a string would read as an object's key and value.
nlohmann::json point_json(const DragPoint& p) {
  return nlohmann::json::array({exact_text(p.x), exact_text(p.y)});
}
DragPoint read_point_json(const nlohmann::json& j) {
  return {read_exact_text(j.at(0)), read_exact_text(j.at(1))};
}

nlohmann::json class_outcome_json(const std::optional<ClassOutcome>& c) {
  if (!c) return nullptr;
  return {{"label", c->label}, {"name", c->name}, {"probability", exact_text(c->probability)}};
}

std::optional<ClassOutcome> read_class_outcome(const nlohmann::json& j) {
  if (j.is_null()) return std::nullopt;
  ClassOutcome c;
  c.label = j.at("label").get<int>();
  c.name = j.at("name").get<std::string>();
  c.probability = read_exact_text(j.at("probability"));
  return c;
}

nlohmann::json outcome_record(const DragOutcome& o) {
  nlohmann::json pairs = nlohmann::json::array(), points = nlohmann::json::array();
  for (const DragPair& p : o.drag.pairs)
    pairs.push_back(nlohmann::json::array({point_json(p.handle), point_json(p.target)}));
  for (const PointOutcome& p : o.points)
    points.push_back({{"start", point_json(p.start)},
                      {"target", point_json(p.target)},
                      {"final_handle", point_json(p.final_handle)},
                      {"tracked", point_json(p.tracked)},
                      {"engine_distance", exact_text(p.engine_distance)},
                      {"tracked_distance", exact_text(p.tracked_distance)},
                      {"track_score", exact_text(p.track_score)}});
  return {{"drag",
           {{"index", o.drag.index},
            {"image_seed", o.drag.image_seed},
            {"points", o.drag.points},
            {"masked", o.drag.masked},
            {"distance_level", o.drag.distance_level},
            {"nominal_distance", exact_text(o.drag.nominal_distance)},
            {"region_radius", exact_text(o.drag.region_radius)},
            {"pairs", pairs}}},
          {"points", points},
          {"reached", o.reached},
          {"tracked_reached", o.tracked_reached},
          {"steps", o.steps},
          {"ms", exact_text(o.ms)},
          {"psnr_outside", exact_text_or_null(o.psnr_outside)},
          {"ssim_outside", exact_text_or_null(o.ssim_outside)},
          {"lpips_outside", exact_text_or_null(o.lpips_outside)},
          {"class_before", class_outcome_json(o.class_before)},
          {"class_after", class_outcome_json(o.class_after)}};
}

DragOutcome read_outcome_record(const nlohmann::json& j) {
  DragOutcome o;
  const nlohmann::json& d = j.at("drag");
  o.drag.index = d.at("index").get<int>();
  o.drag.image_seed = d.at("image_seed").get<uint32_t>();
  o.drag.points = d.at("points").get<int>();
  o.drag.masked = d.at("masked").get<bool>();
  o.drag.distance_level = d.at("distance_level").get<int>();
  o.drag.nominal_distance = read_exact_text(d.at("nominal_distance"));
  o.drag.region_radius = read_exact_text(d.at("region_radius"));
  for (const nlohmann::json& p : d.at("pairs"))
    o.drag.pairs.push_back({read_point_json(p.at(0)), read_point_json(p.at(1))});
  for (const nlohmann::json& p : j.at("points")) {
    PointOutcome q;
    q.start = read_point_json(p.at("start"));
    q.target = read_point_json(p.at("target"));
    q.final_handle = read_point_json(p.at("final_handle"));
    q.tracked = read_point_json(p.at("tracked"));
    q.engine_distance = read_exact_text(p.at("engine_distance"));
    q.tracked_distance = read_exact_text(p.at("tracked_distance"));
    q.track_score = read_exact_text(p.at("track_score"));
    o.points.push_back(q);
  }
  o.reached = j.at("reached").get<bool>();
  o.tracked_reached = j.at("tracked_reached").get<bool>();
  o.steps = j.at("steps").get<int>();
  o.ms = read_exact_text(j.at("ms"));
  o.psnr_outside = read_exact_text_or_null(j.at("psnr_outside"));
  o.ssim_outside = read_exact_text_or_null(j.at("ssim_outside"));
  o.lpips_outside = read_exact_text_or_null(j.at("lpips_outside"));
  o.class_before = read_class_outcome(j.at("class_before"));
  o.class_after = read_class_outcome(j.at("class_after"));
  return o;
}

}  // namespace

std::string encode_outcomes(const std::vector<DragOutcome>& outcomes) {
  StateDict tensors;
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const DragOutcome& o = outcomes[i];
    list.push_back(outcome_record(o));
    const std::string k = std::to_string(i) + ".";
    if (o.before.defined()) tensors[k + "before"] = o.before;
    if (o.after.defined()) tensors[k + "after"] = o.after;
    if (o.region.defined()) tensors[k + "region"] = o.region;
  }
  return safetensors_bytes(tensors, {{"outcomes", list.dump()}}, "evaluation outcomes");
}

std::vector<DragOutcome> decode_outcomes(const std::string& bytes, const std::string& origin) {
  SafetensorsFile file = parse_safetensors(bytes, origin);
  std::vector<DragOutcome> out;
  try {
    const nlohmann::json list = nlohmann::json::parse(file.metadata.at("outcomes"));
    for (size_t i = 0; i < list.size(); ++i) {
      DragOutcome o = read_outcome_record(list[i]);
      const std::string k = std::to_string(i) + ".";
      if (auto it = file.tensors.find(k + "before"); it != file.tensors.end()) o.before = it->second;
      if (auto it = file.tensors.find(k + "after"); it != file.tensors.end()) o.after = it->second;
      if (auto it = file.tensors.find(k + "region"); it != file.tensors.end()) o.region = it->second;
      out.push_back(std::move(o));
    }
  } catch (const std::exception& e) {
    throw CheckpointError(origin + ": not a set of evaluation outcomes (" + e.what() + ")");
  }
  return out;
}

}  // namespace draggan
