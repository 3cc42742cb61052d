#include "draggan/io/ModelFile.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "draggan/core/Error.h"
#include "draggan/model/GeneratorFamily.h"
#include "draggan/io/NvidiaPickle.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/Safetensors.h"
#include "draggan/io/TensorflowPickle.h"
#include "draggan/io/TensorflowStyleGAN2.h"

namespace draggan {
namespace {

enum class FileKind { Pickle, Safetensors };

FileKind sniff(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open");
  unsigned char head[9] = {};
  in.read(reinterpret_cast<char*>(head), sizeof(head));
  const auto got = in.gcount();
  if (got >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5) return FileKind::Pickle;
  // safetensors: an 8-byte little-endian header length, then a JSON object.
  if (got == 9 && head[8] == '{') return FileKind::Safetensors;
  if (got >= 2 && head[0] == 'P' && head[1] == 'K')
    throw CheckpointError(path + ": a zip archive (torch.save .pt/.pth?), not a generator checkpoint; "
                          "expected an NVIDIA .pkl snapshot, a TensorFlow network .pkl or a draggan .safetensors "
                          "file");
  throw CheckpointError(path + ": not a pickle (protocol 2-5) or safetensors file");
}

StateDict with_prefix_removed(const StateDict& all, const std::string& prefix) {
  StateDict out;
  for (const auto& [name, t] : all)
    if (name.compare(0, prefix.size(), prefix) == 0) out[name.substr(prefix.size())] = t;
  return out;
}

// Shortest text that reads back to the same double.
std::string number_text(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

}  // namespace

std::map<std::string, std::string> RecommendedDrag::to_metadata() const {
  std::map<std::string, std::string> m;
  if (space) m["drag_space"] = *space;
  if (optimized_layers) m["drag_layers"] = std::to_string(*optimized_layers);
  if (r1) m["drag_r1"] = number_text(*r1);
  if (r2) m["drag_r2"] = number_text(*r2);
  if (stop_distance) m["drag_stop_distance"] = number_text(*stop_distance);
  if (max_steps) m["drag_max_steps"] = std::to_string(*max_steps);
  if (feature_block) m["drag_feature_block"] = std::to_string(*feature_block);
  if (reg) m["drag_reg"] = number_text(*reg);
  if (lambda_mask) m["drag_lambda_mask"] = number_text(*lambda_mask);
  return m;
}

RecommendedDrag RecommendedDrag::from_metadata(const std::map<std::string, std::string>& metadata,
                                               const std::string& origin) {
  auto bad = [&](const std::string& key, const std::string& text, const std::string& expected) {
    return CheckpointError(origin + ": metadata '" + key + "' must be " + expected + ", got '" + text + "'");
  };
  auto number = [&](const std::string& key, double lo, double hi) -> std::optional<double> {
    auto it = metadata.find(key);
    if (it == metadata.end()) return std::nullopt;
    const std::string range = "a number in [" + number_text(lo) + ", " + number_text(hi) + "]";
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(it->second, &used);
    } catch (const std::exception&) {
      throw bad(key, it->second, range);
    }
    if (used != it->second.size() || !std::isfinite(v) || v < lo || v > hi) throw bad(key, it->second, range);
    return v;
  };
  auto integer = [&](const std::string& key, int lo, int hi) -> std::optional<int> {
    auto it = metadata.find(key);
    if (it == metadata.end()) return std::nullopt;
    const std::string range = "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
    size_t used = 0;
    long v = 0;
    try {
      v = std::stol(it->second, &used);
    } catch (const std::exception&) {
      throw bad(key, it->second, range);
    }
    if (used != it->second.size() || v < lo || v > hi) throw bad(key, it->second, range);
    return static_cast<int>(v);
  };
  RecommendedDrag r;
  if (auto it = metadata.find("drag_space"); it != metadata.end()) {
    if (it->second != "w" && it->second != "w+") throw bad("drag_space", it->second, "w or w+");
    r.space = it->second;
  }
  r.optimized_layers = integer("drag_layers", 1, 1024);
  r.r1 = number("drag_r1", 1e-6, 1e6);
  r.r2 = number("drag_r2", 1e-6, 1e6);
  r.stop_distance = number("drag_stop_distance", 0.0, 1e6);
  r.max_steps = integer("drag_max_steps", 1, 1000000);
  r.feature_block = integer("drag_feature_block", 0, 64);
  r.reg = number("drag_reg", 0.0, 1e6);
  r.lambda_mask = number("drag_lambda_mask", 0.0, 1e6);
  return r;
}

LoadedModel load_model(const std::string& path, torch::Device device) {
  LoadedModel model;
  model.path = path;
  if (sniff(path) == FileKind::Pickle) {
    // Parsed once; what the objects are (TensorFlow Networks or PyTorch modules) picks the reader.
    std::unique_ptr<PickleTree> tree = read_pickle_file(path);
    if (is_tensorflow_pickle(*tree)) {
      TensorflowSnapshot snap = convert_tensorflow_stylegan2(*tree);
      tree.reset();  // the converted tensors own their data; free the file's bytes before building
      model.format = "tensorflow-pkl";
      // Always StyleGAN2: the official converter knows no other TensorFlow architecture.
      model.generator =
          generator_family("stylegan2").build(snap.generator_config.to_json(), snap.g_ema, path + ": Gs", device);
      model.discriminator = std::move(snap.discriminator);
      model.discriminator_config = std::move(snap.discriminator_config);
      return model;
    }
    NvidiaSnapshot snap = read_nvidia_pkl(std::move(tree));
    model.format = "nvidia-pkl";
    const GeneratorFamily& family = family_of_snapshot(snap.g_init_kwargs, snap.g_ema, path + ": G_ema");
    nlohmann::json config;
    try {
      config = family.config_from_snapshot(snap.g_init_kwargs, snap.g_ema);
    } catch (const CheckpointError& e) {
      throw CheckpointError(path + ": G_ema " + e.what());
    }
    model.generator = family.build(config, snap.g_ema, path + ": G_ema", device);
    model.discriminator = std::move(snap.discriminator);
    model.discriminator_config = snap.d_init_kwargs;
    return model;
  }
  SafetensorsFile file = read_safetensors(path);
  model.format = "safetensors";
  auto meta = [&](const std::string& key) -> const std::string* {
    auto it = file.metadata.find(key);
    return it == file.metadata.end() ? nullptr : &it->second;
  };
  const std::string* config_text = meta("generator_config");
  if (!config_text)
    throw CheckpointError(path + ": safetensors metadata has no 'generator_config' (not a draggan model file; "
                          "convert NVIDIA checkpoints with `draggan convert`)");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(*config_text);
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": metadata 'generator_config' is not valid JSON: " + e.what());
  }
  const std::string* family_name = meta("family");
  const GeneratorFamily* family = nullptr;
  try {
    family = &generator_family(family_name ? *family_name : "stylegan2");
  } catch (const CheckpointError& e) {
    throw CheckpointError(path + ": metadata 'family': " + e.what());
  }
  StateDict g_ema = with_prefix_removed(file.tensors, "G_ema.");
  if (g_ema.empty()) throw CheckpointError(path + ": no 'G_ema.*' tensors");
  model.generator = family->build(config, g_ema, path + ": G_ema", device);
  model.discriminator = with_prefix_removed(file.tensors, "D.");
  if (const std::string* lr_text = meta("drag_lr")) {
    try {
      const double lr = std::stod(*lr_text);
      if (!(lr > 0.0 && lr < 1.0)) throw std::out_of_range("lr");
      model.recommended_lr = lr;
    } catch (const std::exception&) {
      throw CheckpointError(path + ": metadata 'drag_lr' must be a number in (0, 1), got '" + *lr_text + "'");
    }
  }
  model.recommended_drag = RecommendedDrag::from_metadata(file.metadata, path);
  if (const std::string* d_text = meta("discriminator_config")) {
    try {
      model.discriminator_config = nlohmann::json::parse(*d_text);
    } catch (const nlohmann::json::exception& e) {
      throw CheckpointError(path + ": metadata 'discriminator_config' is not valid JSON: " + e.what());
    }
  }
  return model;
}

void save_model(const std::string& path, GeneratorModel& generator, const StateDict& discriminator,
                const nlohmann::json& discriminator_config,
                const std::map<std::string, std::string>& extra_metadata) {
  StateDict tensors;
  for (const auto& [name, t] : state_dict_of(generator.module())) tensors["G_ema." + name] = t.detach().cpu();
  for (const auto& [name, t] : discriminator) tensors["D." + name] = t.detach().cpu();
  std::map<std::string, std::string> metadata = extra_metadata;
  metadata["format"] = "draggan";
  metadata["family"] = generator.family();
  metadata["generator_config"] = generator.config_json().dump();
  if (!discriminator_config.is_null()) metadata["discriminator_config"] = discriminator_config.dump();
  write_safetensors(path, tensors, metadata);
}

int64_t parameter_count(const torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace draggan
