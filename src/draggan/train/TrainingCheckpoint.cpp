#include "draggan/train/TrainingCheckpoint.h"

#include "draggan/core/Error.h"
#include "draggan/io/Safetensors.h"

namespace draggan {

StateDict tensors_with_prefix(const StateDict& all, const std::string& prefix) {
  StateDict out;
  for (const auto& [name, t] : all)
    if (name.compare(0, prefix.size(), prefix) == 0) out[name.substr(prefix.size())] = t;
  return out;
}

TrainingCheckpoint read_training_checkpoint(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  auto meta = [&](const std::string& key) -> nlohmann::json {
    auto it = file.metadata.find(key);
    if (it == file.metadata.end())
      throw CheckpointError(path + ": not a training checkpoint (no '" + key +
                            "' metadata); resume needs a checkpoint written by `draggan train`");
    try {
      return nlohmann::json::parse(it->second);
    } catch (const nlohmann::json::exception& e) {
      throw CheckpointError(path + ": metadata '" + key + "' is not valid JSON: " + e.what());
    }
  };
  TrainingCheckpoint ckpt;
  ckpt.path = path;
  try {
    ckpt.config = TrainConfig::from_json(meta("train_config"));
  } catch (const InputError& e) {
    throw CheckpointError(path + ": train_config: " + e.what());
  }
  ckpt.state = meta("training_state");
  for (const char* key : {"iteration", "opt_G_step", "opt_D_step", "ada_p", "ada_sign_sum", "ada_sign_count"})
    if (!ckpt.state.contains(key) || !ckpt.state.at(key).is_number())
      throw CheckpointError(path + ": training_state has no number '" + key + "'");
  ckpt.tensors = std::move(file.tensors);
  return ckpt;
}

}  // namespace draggan
