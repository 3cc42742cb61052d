// A running editor drag after one of its steps, as bytes (safetensors: the DragState tensors, the rest as
// JSON metadata): what the session store keeps after every step, so that another replica carries the drag on
// from there (EditorSession::resume).
#pragma once
#include <cstdint>
#include <string>

#include "draggan/drag/DragState.h"

namespace draggan::server {

struct DragCheckpoint {
  int64_t serial = 0;  // which drag of the session (a stale checkpoint of an earlier drag is ignored)
  int calls = 0;       // steps the editor has asked for (the step limit counts them)
  DragState state;
};

std::string encode_drag_checkpoint(const DragCheckpoint& checkpoint);
// Error naming the field when the bytes are not a checkpoint.
DragCheckpoint decode_drag_checkpoint(const std::string& bytes);

}  // namespace draggan::server
