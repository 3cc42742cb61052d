#include "server/session/EditorPoint.h"

namespace draggan::server {

nlohmann::json points_to_json(const std::vector<EditorPoint>& points) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : points)
    list.push_back({{"id", p.id},
                    {"handle", {p.handle.x, p.handle.y}},
                    {"target", p.target ? nlohmann::json::array({p.target->x, p.target->y}) : nlohmann::json(nullptr)}});
  return list;
}

std::vector<EditorPoint> points_from_json(const nlohmann::json& list) {
  std::vector<EditorPoint> points;
  for (const auto& p : list) {
    EditorPoint point;
    point.id = p.at("id").get<int>();
    point.handle = {p.at("handle").at(0).get<double>(), p.at("handle").at(1).get<double>()};
    if (!p.at("target").is_null()) point.target = DragPoint{p["target"].at(0).get<double>(), p["target"].at(1).get<double>()};
    points.push_back(point);
  }
  return points;
}

}  // namespace draggan::server
