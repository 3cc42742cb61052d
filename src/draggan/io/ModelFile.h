// Loading any supported checkpoint into a ready-to-run Generator, and saving our native format.
//
// Native format (safetensors): tensors "G_ema.<official name>" and, when known, "D.<official name>"; training
// checkpoints add "G.", optimiser state and so on, which loading ignores. Metadata: "format" = "draggan",
// "family" = the generator family (absent in files from before families: "stylegan2"), "generator_config" = that
// family's architecture JSON (GeneratorModel::config_json), "discriminator_config" = JSON (or absent), and the
// drag settings the model drags well with ("drag_lr", "drag_space", ... see RecommendedDrag), when it records them.
#pragma once
#include <torch/torch.h>

#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

// Drag settings a model records for itself, beside its step size (LoadedModel::recommended_lr, key "drag_lr"):
// "drag_space" (w or w+), "drag_layers" (optimised ws rows), "drag_r1" / "drag_r2" (512-px scale, as --r1/--r2),
// "drag_stop_distance" (px), "drag_max_steps", "drag_feature_block", "drag_reg" and "drag_lambda_mask". Unset =
// the official default. io only carries them; drag/DragDefaults turns them into DragParams (and checks them
// against the generator there).
struct RecommendedDrag {
  std::optional<std::string> space;
  std::optional<int> optimized_layers;
  std::optional<double> r1, r2;
  std::optional<double> stop_distance;
  std::optional<int> max_steps;
  std::optional<int> feature_block;
  std::optional<double> reg;
  std::optional<double> lambda_mask;

  std::map<std::string, std::string> to_metadata() const;
  // CheckpointError naming `origin` and the key on an unparsable or out-of-range value.
  static RecommendedDrag from_metadata(const std::map<std::string, std::string>& metadata, const std::string& origin);
};

struct LoadedModel {
  GeneratorPtr generator;
  StateDict discriminator;                      // empty when the checkpoint has none
  nlohmann::json discriminator_config = nullptr;  // DiscriminatorConfig JSON (native) or NVIDIA init kwargs
  std::string path;
  std::string format;  // "nvidia-pkl", "tensorflow-pkl" or "safetensors"
  // The drag step size (Adam lr) this model is known to drag well with, from the metadata key "drag_lr";
  // unset means the official 0.001. Small models (the shipped 32-px one) move slowly at 0.001.
  std::optional<double> recommended_lr;
  RecommendedDrag recommended_drag;  // the other drag settings it records
};

// Reads .pkl (NVIDIA PyTorch snapshot, or TensorFlow StyleGAN2 network pickle converted as the official
// legacy.py does) or .safetensors, chosen by the file's content, not its name; the generator family likewise
// (GeneratorFamily.h). The generator is in eval mode, without gradients on its
// parameters, on `device`.
LoadedModel load_model(const std::string& path, torch::Device device = torch::kCPU);

// Writes the native safetensors format. `extra_metadata` is merged into the header metadata.
void save_model(const std::string& path, GeneratorModel& generator, const StateDict& discriminator = {},
                const nlohmann::json& discriminator_config = nullptr,
                const std::map<std::string, std::string>& extra_metadata = {});

// Number of parameters (not buffers) of a module.
int64_t parameter_count(const torch::nn::Module& module);

}  // namespace draggan
