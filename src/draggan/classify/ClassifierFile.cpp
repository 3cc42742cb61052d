#include "draggan/classify/ClassifierFile.h"

#include <filesystem>

#include "draggan/core/Error.h"
#include "draggan/core/StateDict.h"
#include "draggan/io/Safetensors.h"

namespace draggan {

LoadedClassifier load_classifier(const std::string& path, torch::Device device) {
  SafetensorsFile file = read_safetensors(path);
  auto meta = [&](const std::string& key) -> const std::string* {
    auto it = file.metadata.find(key);
    return it == file.metadata.end() ? nullptr : &it->second;
  };
  const std::string* format = meta("format");
  const std::string* config_text = meta("classifier_config");
  if (!format || *format != "draggan-classifier" || !config_text)
    throw CheckpointError(path + ": not a draggan classifier file (metadata format 'draggan-classifier' and "
                          "'classifier_config' expected; make one with `draggan train-classifier`)");
  ClassifierConfig config;
  try {
    config = ClassifierConfig::from_json(nlohmann::json::parse(*config_text));
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(path + ": metadata 'classifier_config' is not valid JSON: " + e.what());
  } catch (const CheckpointError& e) {
    throw CheckpointError(path + ": " + e.what());
  }
  LoadedClassifier out;
  out.path = path;
  out.net = ImageClassifier(config);
  load_state_dict(*out.net, file.tensors, path);
  out.net->eval();
  for (auto& p : out.net->parameters()) p.set_requires_grad(false);
  out.net->to(device);
  if (const std::string* acc = meta("test_accuracy")) {
    try {
      out.test_accuracy = std::stod(*acc);
    } catch (const std::exception&) {
      throw CheckpointError(path + ": metadata 'test_accuracy' is not a number: '" + *acc + "'");
    }
  }
  return out;
}

std::string companion_classifier_path(const std::string& model_path) {
  const std::filesystem::path p(model_path);
  return (p.parent_path() / (p.stem().string() + ".classifier.safetensors")).string();
}

void save_classifier(const std::string& path, ImageClassifier& net,
                     const std::map<std::string, std::string>& extra_metadata) {
  std::map<std::string, std::string> metadata = extra_metadata;
  metadata["format"] = "draggan-classifier";
  metadata["classifier_config"] = net->config().to_json().dump();
  StateDict tensors;
  for (const auto& [name, t] : state_dict_of(*net)) tensors[name] = t.detach().cpu();
  write_safetensors(path, tensors, metadata);
}

ClassPrediction predict_classes(ImageClassifier& net, const torch::Tensor& images, int64_t batch) {
  torch::NoGradGuard no_grad;
  const bool was_training = net->is_training();
  net->eval();
  const torch::Device device = net->parameters().front().device();
  std::vector<torch::Tensor> probs;
  for (int64_t i = 0; i < images.size(0); i += batch) {
    torch::Tensor x = fit_to_classifier(images.slice(0, i, i + batch).to(device), net->config());
    probs.push_back(torch::softmax(net->forward(x), 1).cpu());
  }
  if (was_training) net->train();
  ClassPrediction p;
  p.probabilities = torch::cat(probs);
  auto [best, label] = p.probabilities.max(1);
  p.label = label;
  p.probability = best;
  return p;
}

}  // namespace draggan
