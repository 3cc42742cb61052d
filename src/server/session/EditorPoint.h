// One handle/target pair of an editor session (image pixels, x = column, y = row); the target may be
// missing while the user has not clicked it yet.
#pragma once
#include <optional>

#include "draggan/drag/DragSession.h"

namespace draggan::server {

struct EditorPoint {
  int id = 0;
  DragPoint handle;
  std::optional<DragPoint> target;
};

}  // namespace draggan::server
