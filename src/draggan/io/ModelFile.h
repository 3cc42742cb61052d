// Loading any supported checkpoint into a ready-to-run Generator, and saving our native format.
//
// Native format (safetensors): tensors "G_ema.<official name>" and, when known, "D.<official name>"; training
// checkpoints add "G.", optimiser state and so on, which loading ignores. Metadata: "format" = "draggan",
// "family" = the generator family (absent in files from before families: "stylegan2"), "generator_config" = that
// family's architecture JSON (GeneratorModel::config_json), "discriminator_config" = JSON (or absent).
#pragma once
#include <torch/torch.h>

#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/model/GeneratorModel.h"

namespace draggan {

struct LoadedModel {
  GeneratorPtr generator;
  StateDict discriminator;                      // empty when the checkpoint has none
  nlohmann::json discriminator_config = nullptr;  // DiscriminatorConfig JSON (native) or NVIDIA init kwargs
  std::string path;
  std::string format;  // "nvidia-pkl", "tensorflow-pkl" or "safetensors"
  // The drag step size (Adam lr) this model is known to drag well with, from the metadata key "drag_lr";
  // unset means the official 0.001. Small models (the shipped 32-px one) move slowly at 0.001.
  std::optional<double> recommended_lr;
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
