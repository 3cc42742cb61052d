// NVIDIA training snapshots (stylegan2-ada-pytorch / stylegan3 / DragGAN `.pkl`): the generator's architecture
// from its stored init kwargs and the tensors of G_ema and D, read without running any Python.
#pragma once
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "draggan/core/StateDict.h"
#include "draggan/io/PickleValue.h"

namespace draggan {

struct NvidiaSnapshot {
  StateDict g_ema;                   // parameters and buffers under their official names
  StateDict discriminator;           // D's, empty when the snapshot has none
  nlohmann::json g_init_kwargs;      // G_ema's init kwargs as JSON (EasyDicts become objects)
  nlohmann::json d_init_kwargs;      // D's init kwargs, null when absent
  std::string g_class_name;          // e.g. "training.networks_stylegan2.Generator"
};

// Throws CheckpointError naming `path`, the byte offset and what was wrong.
NvidiaSnapshot read_nvidia_pkl(const std::string& path);
// The same for a pickle already parsed (load_model parses once, then picks the reader by content).
NvidiaSnapshot read_nvidia_pkl(std::unique_ptr<PickleTree> tree);

}  // namespace draggan
