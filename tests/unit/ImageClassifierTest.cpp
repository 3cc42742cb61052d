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
namespace image_classifier_test {

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

// Six quick epochs, no flips: enough for the toy problems below.
ClassifierTrainOptions toy_training(int batch, int max_shift) {
  ClassifierTrainOptions options;
  options.epochs = 6;
  options.batch = batch;
  options.lr = 0.01;
  options.max_shift = max_shift;
  options.xflip = false;
  return options;
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
  const ClassifierTrainOptions options = toy_training(32, 1);
  int epochs_seen = 0;
  train_classifier(net, data, options, [&](const ClassifierEpochReport& r) { epochs_seen = r.epoch; });
  EXPECT_EQ(epochs_seen, 6);
  EXPECT_GE(classification_accuracy(net, data), 0.95);
}

TEST(ImageClassifier, ShiftsMoveContentByWholePixelsWithBlackComingIn) {
  torch::Tensor x = torch::full({2, 1, 8, 8}, -1.0);
  x[0][0][2][3] = 1.0;  // row 2, column 3
  x[1][0][5][1] = 1.0;
  const torch::Tensor moved =
      shift_and_flip(x, torch::tensor({2.0f, -1.0f}), torch::tensor({1.0f, 0.0f}), torch::ones({2}));
  EXPECT_EQ(moved[0][0][3][5].item<float>(), 1.0f);     // 2 right, 1 down
  EXPECT_EQ(moved[1][0][5][0].item<float>(), 1.0f);     // 1 left
  EXPECT_EQ(moved.sum().item<float>(), 2.0f - 126.0f);  // nothing else lit: all black around
  // A bright image moved 3 px right: black fills the 3 left columns.
  const torch::Tensor white =
      shift_and_flip(torch::ones({1, 1, 4, 8}), torch::tensor({3.0f}), torch::zeros({1}), torch::ones({1}));
  EXPECT_TRUE(torch::equal(white[0][0].slice(1, 0, 3), torch::full({4, 3}, -1.0)));
  EXPECT_TRUE(torch::equal(white[0][0].slice(1, 3, 8), torch::ones({4, 5})));
  const torch::Tensor flipped = shift_and_flip(x, torch::zeros({2}), torch::zeros({2}), -torch::ones({2}));
  EXPECT_EQ(flipped[0][0][2][4].item<float>(), 1.0f);  // column 3 of 8 -> 4
}

TEST(ImageClassifier, ShiftedAccuracyMovesEveryImageOffItsPlace) {
  // Class 0: a bright block on the left half; class 1: on the right half. Trained centred, the classifier is
  // right on the data; moved 4 px, the blocks cross the halves for the images moved sideways.
  const int64_t n = 200;
  torch::Tensor images = torch::zeros({n, 1, 16, 16}, torch::kUInt8);
  torch::Tensor labels = torch::arange(n, torch::kInt64) % 2;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t col = labels[i].item<int64_t>() == 0 ? 2 : 10;
    images[i][0].slice(0, 5, 11).slice(1, col, col + 4).fill_(230);
  }
  const LabelledImages data{images, labels};
  torch::manual_seed(1);
  ImageClassifier net(small_config(2));
  train_classifier(net, data, toy_training(20, 0));
  const double centred = classification_accuracy(net, data);
  EXPECT_GE(centred, 0.95);
  EXPECT_DOUBLE_EQ(shifted_accuracy(net, data, 0), centred);
  EXPECT_DOUBLE_EQ(shifted_accuracy(net, data, 4, 7), shifted_accuracy(net, data, 4, 7));  // seeded
  EXPECT_LT(shifted_accuracy(net, data, 6), centred - 0.2);
  EXPECT_THROW(shifted_accuracy(net, data, -1), InputError);
  EXPECT_DOUBLE_EQ(shifted_agreement(net, data, 0), 1.0);  // unmoved: its own verdict, right or wrong
  const double agreement = shifted_agreement(net, data, 6);
  EXPECT_LT(agreement, 0.8);  // the toy net tells the classes by where the bar is, so a move changes its mind
  EXPECT_GT(agreement, 0.0);
  EXPECT_THROW(shifted_agreement(net, data, 65), InputError);
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

}  // namespace image_classifier_test
}  // namespace draggan
