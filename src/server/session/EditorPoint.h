// One handle/target pair of an editor session (image pixels, x = column, y = row); the target may be
// missing while the user has not clicked it yet.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "draggan/drag/DragSession.h"

namespace draggan::server {

struct EditorPoint {
  int id = 0;
  DragPoint handle;
  std::optional<DragPoint> target;
};

// [{id, handle: [x, y], target: [x, y] | null}], as spill files and the session store keep them.
nlohmann::json points_to_json(const std::vector<EditorPoint>& points);
std::vector<EditorPoint> points_from_json(const nlohmann::json& list);

}  // namespace draggan::server
