// Training checkpoints: our safetensors model format plus what training needs to continue. Tensors "G.*",
// "G_ema.*", "D.*" (official names), "opt_G.<param>.exp_avg[_sq]", "opt_D.*"; metadata "format", 
// "generator_config", "discriminator_config", "train_config" and "training_state" (iteration, optimiser steps,
// ADA p and accumulators). io/ModelFile's load_model reads one as a model (G_ema + D).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/train/TrainConfig.h"

namespace draggan {

struct TrainingCheckpoint {
  std::string path;
  TrainConfig config;
  nlohmann::json state;  // training_state
  StateDict tensors;
};

// Throws CheckpointError naming the file if it is not a training checkpoint (e.g. a plain model file).
TrainingCheckpoint read_training_checkpoint(const std::string& path);

// Tensors with `prefix` removed ("G." -> names of G).
StateDict tensors_with_prefix(const StateDict& all, const std::string& prefix);

}  // namespace draggan
