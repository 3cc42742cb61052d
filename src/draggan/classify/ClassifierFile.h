// A trained classifier in one safetensors file: tensors under the module's names, metadata "format" =
// "draggan-classifier", "classifier_config" = ClassifierConfig JSON, and what training measured
// ("test_accuracy"; "shifted_test_accuracy" = JSON {shift px: accuracy}; "training" = a JSON description of
// the run).
#pragma once
#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>

#include "draggan/classify/ImageClassifier.h"

namespace draggan {

struct LoadedClassifier {
  ImageClassifier net{nullptr};  // eval mode, no gradients
  std::string path;
  std::optional<double> test_accuracy;  // as recorded when it was trained
};

// CheckpointError naming the file when it is not a classifier file or a tensor is missing or misshapen.
LoadedClassifier load_classifier(const std::string& path, torch::Device device = torch::kCPU);

// The classifier that belongs to a model file: "<model stem>.classifier.safetensors" in the model's folder (the
// shipped models/default.safetensors -> models/default.classifier.safetensors). Returns the path whether or not
// the file exists.
std::string companion_classifier_path(const std::string& model_path);

void save_classifier(const std::string& path, ImageClassifier& net,
                     const std::map<std::string, std::string>& extra_metadata = {});

// Class indices [N] and their softmax probabilities [N] for images float [N, C, H, W] in [-1, 1] of any size and
// channel count (fit_to_classifier), in batches, without gradients.
struct ClassPrediction {
  torch::Tensor label;        // int64 [N]
  torch::Tensor probability;  // float [N]
  torch::Tensor probabilities;  // float [N, num_classes]
};
ClassPrediction predict_classes(ImageClassifier& net, const torch::Tensor& images, int64_t batch = 500);

}  // namespace draggan
