// The small image classifier `draggan eval` uses for "class kept": shapes, its file, fitting other image sizes,
// IDX labels, and that training learns a separable toy problem.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "draggan/classify/ClassifierFile.h"
#include "draggan/classify/ClassifierTraining.h"
#include "draggan/core/Error.h"
#include "draggan/io/Safetensors.h"
#include "draggan/train/IdxFile.h"

namespace draggan {
namespace {

std::filesystem::path temp_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("draggan_classifier_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

ClassifierConfig small_config(int classes = 3) {
  ClassifierConfig c;
  c.resolution = 16;
  c.channels = 1;
  c.width = 4;
  for (int i = 0; i < classes; ++i) c.classes.push_back("class" + std::to_string(i));
  return c;
}

TEST(ImageClassifier, MapsImagesToOneLogitPerClass) {
  ImageClassifier net(small_config(3));
  EXPECT_EQ(net->forward(torch::zeros({5, 1, 16, 16})).sizes(), (torch::IntArrayRef{5, 3}));
  EXPECT_THROW(net->forward(torch::zeros({5, 3, 16, 16})), InputError);
}

TEST(ImageClassifier, FitsOtherSizesAndChannelCounts) {
  const ClassifierConfig c = small_config();
  EXPECT_EQ(fit_to_classifier(torch::zeros({2, 3, 64, 32}), c).sizes(), (torch::IntArrayRef{2, 1, 16, 16}));
  EXPECT_EQ(fit_to_classifier(torch::zeros({1, 1, 8, 8}), c).sizes(), (torch::IntArrayRef{1, 1, 16, 16}));
  // RGB -> gray is the channel mean.
  torch::Tensor rgb = torch::zeros({1, 3, 16, 16});
  rgb.select(1, 0).fill_(0.9);
  EXPECT_NEAR(fit_to_classifier(rgb, c).mean().item<float>(), 0.3f, 1e-6);
}

TEST(ImageClassifier, FileRoundTripsWeightsConfigAndAccuracy) {
  torch::manual_seed(3);
  ImageClassifier net(small_config(4));
  const std::string path = (temp_dir() / "c.safetensors").string();
  save_classifier(path, net, {{"test_accuracy", "0.875"}});
  LoadedClassifier loaded = load_classifier(path);
  EXPECT_EQ(loaded.net->config().classes, small_config(4).classes);
  ASSERT_TRUE(loaded.test_accuracy.has_value());
  EXPECT_DOUBLE_EQ(*loaded.test_accuracy, 0.875);
  net->eval();
  const torch::Tensor x = torch::rand({3, 1, 16, 16}) * 2 - 1;
  EXPECT_TRUE(torch::allclose(net->forward(x), loaded.net->forward(x)));
}

TEST(ImageClassifier, OtherSafetensorsFilesAreRejectedByName) {
  const std::string path = (temp_dir() / "not_a_classifier.safetensors").string();
  write_safetensors(path, {{"x", torch::zeros({2})}}, {{"format", "draggan"}});
  try {
    load_classifier(path);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("train-classifier"), std::string::npos);
  }
}

TEST(ImageClassifier, LearnsASeparableToyProblem) {
  // Class 0: a bright square top-left; class 1: bottom-right; class 2: a bright bar across the middle.
  const int64_t n = 300;
  torch::Tensor images = torch::zeros({n, 1, 16, 16}, torch::kUInt8);
  torch::Tensor labels = torch::arange(n, torch::kInt64) % 3;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = labels[i].item<int64_t>();
    if (k == 0) images[i][0].slice(0, 2, 7).slice(1, 2, 7).fill_(220);
    if (k == 1) images[i][0].slice(0, 9, 14).slice(1, 9, 14).fill_(220);
    if (k == 2) images[i][0].slice(0, 7, 9).slice(1, 1, 15).fill_(220);
  }
  const LabelledImages data{images, labels};
  torch::manual_seed(0);
  ImageClassifier net(small_config(3));
  ClassifierTrainOptions options;
  options.epochs = 6;
  options.batch = 32;
  options.lr = 0.01;
  options.max_shift = 1;
  options.xflip = false;
  int epochs_seen = 0;
  train_classifier(net, data, options, [&](const ClassifierEpochReport& r) { epochs_seen = r.epoch; });
  EXPECT_EQ(epochs_seen, 6);
  EXPECT_GE(classification_accuracy(net, data), 0.95);
}

TEST(IdxFile, ReadsLabels) {
  const auto path = temp_dir() / "labels-idx1-ubyte";
  std::ofstream(path, std::ios::binary) << std::string{0, 0, 0x08, 0x01, 0, 0, 0, 4, 3, 1, 9, 0};
  const torch::Tensor labels = read_idx_labels(path.string());
  EXPECT_TRUE(torch::equal(labels, torch::tensor({3, 1, 9, 0}, torch::kInt64)));
  EXPECT_THROW(read_idx_labels((temp_dir() / "missing").string()), InputError);
  std::ofstream(temp_dir() / "short", std::ios::binary) << std::string{0, 0, 0x08, 0x01, 0, 0, 0, 9, 3};
  EXPECT_THROW(read_idx_labels((temp_dir() / "short").string()), InputError);
}

}  // namespace
}  // namespace draggan
