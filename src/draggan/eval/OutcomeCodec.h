// Evaluation outcomes as bytes and back, exactly: a safetensors file in memory whose tensors are the images
// (before, after, moved region) and whose metadata holds the measurements as JSON, every number written so
// that it reads back to the same bits. The ranks of a sharded `eval` send their drags to rank 0 this way, and
// rank 0 writes the same JSON, table and report as a one-process run.
#pragma once
#include <string>
#include <vector>

#include "draggan/eval/DragEvaluation.h"

namespace draggan {

std::string encode_outcomes(const std::vector<DragOutcome>& outcomes);

// CheckpointError naming `origin` for bytes that are not such a file.
std::vector<DragOutcome> decode_outcomes(const std::string& bytes, const std::string& origin);

}  // namespace draggan
