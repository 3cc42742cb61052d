// A small convolutional classifier of generated images: what `draggan eval` asks "is this still a pullover?"
// after a drag. Three stages of 3x3 conv + batch norm + ReLU with 2x2 max pooling, global average pooling and
// one linear layer; resolution-agnostic (global pooling), though it is meant to see images at the size it was
// trained on. The shipped one is trained on Fashion-MNIST by `draggan train-classifier` (models/README.md).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace draggan {

struct ClassifierConfig {
  int resolution = 32;  // the image size it was trained at (inputs of another size are resized to it)
  int channels = 1;     // 1 (gray) or 3 (RGB)
  int width = 32;       // channels of the first stage; the next two have 2x and 4x
  std::vector<std::string> classes;

  int num_classes() const { return static_cast<int>(classes.size()); }
  // InputError naming the field on a bad value.
  void validate() const;
  nlohmann::json to_json() const;
  // CheckpointError naming the field on a missing or bad one.
  static ClassifierConfig from_json(const nlohmann::json& j);
};

// The ten Fashion-MNIST classes in label order (0 = T-shirt/top ... 9 = Ankle boot).
std::vector<std::string> fashion_mnist_classes();

class ImageClassifierImpl : public torch::nn::Module {
 public:
  explicit ImageClassifierImpl(ClassifierConfig config);

  // x: float [N, channels, H, W] in [-1, 1] (the generator's range) -> logits [N, num_classes].
  torch::Tensor forward(const torch::Tensor& x);
  const ClassifierConfig& config() const { return config_; }

 private:
  ClassifierConfig config_;
  torch::nn::Sequential features_{nullptr};
  torch::nn::Linear head_{nullptr};
};
TORCH_MODULE(ImageClassifier);

// Any generator image, float [N, C, H, W] in [-1, 1], brought to what `classifier` was trained on: RGB to gray by
// the channel mean (or gray repeated to RGB), then area- or bilinear-resized to its resolution.
torch::Tensor fit_to_classifier(const torch::Tensor& images, const ClassifierConfig& config);

}  // namespace draggan
