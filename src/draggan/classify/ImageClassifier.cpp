#include "draggan/classify/ImageClassifier.h"

#include "draggan/core/Error.h"

namespace draggan {

void ClassifierConfig::validate() const {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw InputError("classifier: " + what);
  };
  require(resolution >= 8 && resolution <= 1024, "resolution must be in 8..1024, got " + std::to_string(resolution));
  require(channels == 1 || channels == 3, "channels must be 1 or 3, got " + std::to_string(channels));
  require(width >= 1 && width <= 512, "width must be in 1..512, got " + std::to_string(width));
  require(classes.size() >= 2 && classes.size() <= 10000, "needs 2..10000 classes, got " +
                                                               std::to_string(classes.size()));
}

nlohmann::json ClassifierConfig::to_json() const {
  return {{"resolution", resolution}, {"channels", channels}, {"width", width}, {"classes", classes}};
}

ClassifierConfig ClassifierConfig::from_json(const nlohmann::json& j) {
  ClassifierConfig c;
  try {
    c.resolution = j.at("resolution").get<int>();
    c.channels = j.at("channels").get<int>();
    c.width = j.at("width").get<int>();
    c.classes = j.at("classes").get<std::vector<std::string>>();
    c.validate();
  } catch (const nlohmann::json::exception& e) {
    throw CheckpointError(std::string("classifier_config: ") + e.what());
  } catch (const InputError& e) {
    throw CheckpointError(std::string("classifier_config: ") + e.what());
  }
  return c;
}

std::vector<std::string> fashion_mnist_classes() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
}

namespace {

void add_conv(torch::nn::Sequential& seq, int64_t in, int64_t out) {
  seq->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  seq->push_back(torch::nn::BatchNorm2d(out));
  seq->push_back(torch::nn::ReLU());
}

}  // namespace

ImageClassifierImpl::ImageClassifierImpl(ClassifierConfig config) : config_(std::move(config)) {
  config_.validate();
  const int64_t w = config_.width;
  torch::nn::Sequential seq;
  add_conv(seq, config_.channels, w);
  seq->push_back(torch::nn::MaxPool2d(2));
  add_conv(seq, w, 2 * w);
  add_conv(seq, 2 * w, 2 * w);
  seq->push_back(torch::nn::MaxPool2d(2));
  add_conv(seq, 2 * w, 4 * w);
  seq->push_back(torch::nn::MaxPool2d(2));
  features_ = register_module("features", seq);
  head_ = register_module("head", torch::nn::Linear(4 * w, config_.num_classes()));
}

torch::Tensor ImageClassifierImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 4 || x.size(1) != config_.channels)
    throw InputError("classifier: expected images [N, " + std::to_string(config_.channels) + ", H, W], got " +
                     c10::str(x.sizes()));
  return head_->forward(features_->forward(x).mean({2, 3}));
}

torch::Tensor fit_to_classifier(const torch::Tensor& images, const ClassifierConfig& config) {
  if (images.dim() != 4) throw InputError("classifier: expected images [N, C, H, W], got " + c10::str(images.sizes()));
  torch::Tensor x = images.to(torch::kFloat32);
  if (x.size(1) != config.channels) {
    if (config.channels == 1) x = x.mean(1, true);
    else if (x.size(1) == 1) x = x.expand({x.size(0), 3, x.size(2), x.size(3)});
    else throw InputError("classifier: cannot map " + std::to_string(x.size(1)) + "-channel images to RGB");
  }
  const int64_t r = config.resolution;
  if (x.size(2) == r && x.size(3) == r) return x;
  // Non-square images (2:1 full-body models) are squashed: the classifier only needs the gist.
  if (x.size(2) >= r && x.size(3) >= r) return torch::adaptive_avg_pool2d(x, {r, r});
  return torch::upsample_bilinear2d(x, {r, r}, false);
}

}  // namespace draggan
