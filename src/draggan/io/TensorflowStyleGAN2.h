// TensorFlow StyleGAN2 network pickles (NVlabs/stylegan2 config-e/f, stylegan2-ada TF snapshots) -> our
// StyleGAN2 generator and discriminator, converted exactly as the official DragGAN loader does
// (legacy.load_network_pkl: convert_tf_generator(Gs) becomes G_ema, convert_tf_discriminator(D) becomes D).
// The TensorFlow name -> PyTorch name rules, with their layout quirks, are the table in the .cpp.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/io/PickleValue.h"
#include "draggan/nn/stylegan2/GeneratorConfig.h"

namespace draggan {

struct TensorflowSnapshot {
  GeneratorConfig generator_config;
  nlohmann::json g_init_kwargs;  // the PyTorch Generator's init kwargs as the official converter builds them
  StateDict g_ema;               // Gs, under the official PyTorch names (every parameter and buffer)
  StateDict discriminator;  // D likewise; empty when the pickle has none or it is conditional (unsupported)
  nlohmann::json discriminator_config = nullptr;  // DiscriminatorConfig JSON, null without D
  std::string description;  // what Gs was built by, e.g. "G_main (mapping: G_mapping, synthesis: ...), v4"
};

// Converts the networks of a parsed TensorFlow pickle (is_tensorflow_pickle(tree) holds). Throws
// CheckpointError naming the file, the byte offset, the network and the variable or kwarg at fault: unknown
// static kwargs, a missing variable, a value of the wrong shape or type, a state version below 4.
TensorflowSnapshot convert_tensorflow_stylegan2(PickleTree& tree);

// Reads and converts a whole file.
TensorflowSnapshot read_tensorflow_pkl(const std::string& path);

}  // namespace draggan
