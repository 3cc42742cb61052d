// `draggan bench --store redis://...`: what committing a drag's state after every step costs (docs/cluster.md):
// each step of a drag followed by its state encoded (DragCheckpoint) and written to the store with the fenced
// script the editor uses, against the step itself, measured in one process on one generator.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "draggan/drag/DragSession.h"

namespace draggan::tools {

// {step_ms, encode_ms, commit_ms, checkpoint_bytes (medians), commit_share_of_step}.
nlohmann::json bench_commit(const GeneratorPtr& generator, const torch::Tensor& ws0, const DragParams& params,
                            const std::vector<DragPair>& pairs, int warmup, int steps, const std::string& store_url);

}  // namespace draggan::tools
