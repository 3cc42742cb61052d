#include "server/session/DragCheckpoint.h"

#include <nlohmann/json.hpp>

#include "draggan/core/Error.h"
#include "draggan/io/Safetensors.h"

namespace draggan::server {
namespace {

constexpr int kCheckpointVersion = 1;

void put_tensor(StateDict& tensors, const std::string& name, const torch::Tensor& t) {
  if (t.defined()) tensors[name] = t.detach().cpu();
}

torch::Tensor tensor_or_none(const StateDict& tensors, const std::string& name) {
  auto it = tensors.find(name);
  return it == tensors.end() ? torch::Tensor() : it->second;
}

}  // namespace

std::string encode_drag_checkpoint(const DragCheckpoint& c) {
  const DragState& s = c.state;
  StateDict tensors;
  put_tensor(tensors, "ws0", s.ws0);
  put_tensor(tensors, "w_opt", s.w_opt);
  put_tensor(tensors, "exp_avg", s.exp_avg);
  put_tensor(tensors, "exp_avg_sq", s.exp_avg_sq);
  put_tensor(tensors, "feat0_ws", s.feat0_ws);
  for (size_t j = 0; j < s.feature_refs.size(); ++j) put_tensor(tensors, "ref." + std::to_string(j), s.feature_refs[j]);
  const nlohmann::json meta = {{"version", kCheckpointVersion},         {"serial", c.serial},
                               {"calls", c.calls},            {"steps_taken", s.steps_taken},
                               {"adam_step", s.adam_step},    {"handles", s.handles},
                               {"handles_as_set", s.handles_as_set}, {"targets", s.targets},
                               {"refs", s.feature_refs.size()}};
  return safetensors_bytes(tensors, {{"drag", meta.dump()}}, "drag checkpoint");
}

DragCheckpoint decode_drag_checkpoint(const std::string& bytes) {
  const SafetensorsFile file = parse_safetensors(bytes, "drag checkpoint");
  auto it = file.metadata.find("drag");
  if (it == file.metadata.end()) throw Error("drag checkpoint: no \"drag\" metadata");
  DragCheckpoint c;
  try {
    const nlohmann::json meta = nlohmann::json::parse(it->second);
    if (meta.at("version") != kCheckpointVersion) throw Error("drag checkpoint: unsupported version " + meta["version"].dump());
    c.serial = meta.at("serial").get<int64_t>();
    c.calls = meta.at("calls").get<int>();
    DragState& s = c.state;
    s.steps_taken = meta.at("steps_taken").get<int>();
    s.adam_step = meta.at("adam_step").get<int64_t>();
    s.handles = meta.at("handles").get<std::vector<double>>();
    s.handles_as_set = meta.at("handles_as_set").get<std::vector<double>>();
    s.targets = meta.at("targets").get<std::vector<double>>();
    const size_t refs = meta.at("refs").get<size_t>();
    if (refs > 1024) throw Error("drag checkpoint: " + std::to_string(refs) + " references");
    for (size_t j = 0; j < refs; ++j) s.feature_refs.push_back(tensor_or_none(file.tensors, "ref." + std::to_string(j)));
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("drag checkpoint: bad metadata: ") + e.what());
  }
  c.state.ws0 = tensor_or_none(file.tensors, "ws0");
  c.state.w_opt = tensor_or_none(file.tensors, "w_opt");
  c.state.exp_avg = tensor_or_none(file.tensors, "exp_avg");
  c.state.exp_avg_sq = tensor_or_none(file.tensors, "exp_avg_sq");
  c.state.feat0_ws = tensor_or_none(file.tensors, "feat0_ws");
  return c;
}

}  // namespace draggan::server
