// The classifier shipped beside the model (models/default.classifier.safetensors, trained by
// `draggan train-classifier`): its accuracy on Fashion-MNIST's 10 000 test images, computed here from the
// shipped weights and Debian's data, is what its file and models/README.md state, and it holds for garments a
// drag moved off the centre.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "draggan/classify/ClassifierFile.h"
#include "draggan/classify/ClassifierTraining.h"

namespace draggan {
namespace shipped_classifier_test {

const std::string kClassifier = std::string(DRAGGAN_SOURCE_DIR) + "/models/default.classifier.safetensors";
const std::string kData = "/usr/share/datasets/fashion-mnist";

TEST(ShippedClassifier, TestAccuracyIsWhatItsFileStates) {
  if (!std::filesystem::exists(kData + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "Debian's dataset-fashion-mnist is not installed (scripts/setup.sh installs it)";
  LoadedClassifier c = load_classifier(kClassifier);
  EXPECT_EQ(c.net->config().resolution, 32);
  EXPECT_EQ(c.net->config().classes.size(), 10u);
  EXPECT_EQ(c.net->config().classes[2], "Pullover");
  const LabelledImages test = load_labelled_idx(kData + "/t10k-images-idx3-ubyte.gz",
                                                kData + "/t10k-labels-idx1-ubyte.gz", 32, 1);
  ASSERT_EQ(test.size(), 10000);
  const double accuracy = classification_accuracy(c.net, test);
  ASSERT_TRUE(c.test_accuracy.has_value());
  // Recomputed on another machine the float sums may round differently: a handful of images at most.
  EXPECT_NEAR(accuracy, *c.test_accuracy, 0.0005);
  EXPECT_GE(accuracy, 0.91);  // measured 91.39%
  // Trained with shifts of up to 8 px: a garment moved by a drag keeps its verdict (the classifier shipped
  // before this one, trained with 2 px, fell from 89.4% to 67.2% at 8 px).
  EXPECT_GE(shifted_accuracy(c.net, test, 4), 0.90);   // measured 90.60%
  EXPECT_GE(shifted_accuracy(c.net, test, 8), 0.885);  // measured 89.10%
  EXPECT_LT(std::filesystem::file_size(kClassifier), 1'000'000u);
}

}  // namespace shipped_classifier_test
}  // namespace draggan
