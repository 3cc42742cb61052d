// Training the image classifier on labelled images (Fashion-MNIST's IDX files): Adam with a cosine-decayed
// learning rate, random shifts and left-right flips of each batch, batch-norm statistics from the data. Seeded:
// with the net built right after torch::manual_seed(seed), the same options on the same data give the same
// weights (on one thread; more threads may round differently).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "draggan/classify/ImageClassifier.h"

namespace draggan {

struct LabelledImages {
  torch::Tensor images;  // uint8 [N, C, R, R]
  torch::Tensor labels;  // int64 [N]
  int64_t size() const { return images.size(0); }
};

// An IDX images file and its labels file, brought to resolution x resolution x channels as `draggan train`
// brings them (28 -> 32 pads with black). InputError naming a file when the counts differ.
LabelledImages load_labelled_idx(const std::string& images_path, const std::string& labels_path, int resolution,
                                 int channels);

// One split of Fashion-MNIST from `dir` ("train" or "t10k": <split>-images-idx3-ubyte and
// <split>-labels-idx1-ubyte, gzip'd as Debian's dataset-fashion-mnist installs them, or not). InputError
// naming the folder when a file is missing.
LabelledImages load_fashion_mnist(const std::string& dir, const std::string& split, int resolution,
                                  int channels);

struct ClassifierTrainOptions {
  int epochs = 12;
  int batch = 128;
  double lr = 0.002;
  int max_shift = 2;   // pixels, each direction
  bool xflip = true;   // garments (and the generator's x-flipped training) are left-right symmetric
  int64_t seed = 0;
  void validate() const;  // InputError naming the option
};

struct ClassifierEpochReport {
  int epoch = 0;             // 1-based
  double train_loss = 0.0;   // mean cross-entropy over the epoch's batches
  double train_accuracy = 0.0;
  double seconds = 0.0;
};

void train_classifier(ImageClassifier& net, const LabelledImages& data, const ClassifierTrainOptions& options,
                      const std::function<void(const ClassifierEpochReport&)>& on_epoch = {});

// Fraction of `data` whose predicted class is its label.
double classification_accuracy(ImageClassifier& net, const LabelledImages& data);

// The shifts (px) `train-classifier` and `classify --test-data` report accuracy at.
inline constexpr int kReportedShifts[] = {2, 4, 6, 8};

// The same with every image moved by `shift` px (black in) in one of the 8 compass directions, drawn per
// image from `seed`: how far the class verdict survives a garment that a drag moved off the centre.
double shifted_accuracy(ImageClassifier& net, const LabelledImages& data, int shift, uint64_t seed = 0);

// The same moves, but the fraction of images whose moved verdict equals the classifier's own verdict on the
// centred image, right or wrong: the class-kept rate of a drag that moved a whole garment rigidly, so the
// ceiling of `eval`'s "class kept" for drags of that length under this classifier.
double shifted_agreement(ImageClassifier& net, const LabelledImages& data, int shift, uint64_t seed = 0);

// Images in [-1, 1], [N, C, H, W], each moved by whole pixels (dx[i], dy[i]: float [N], +x right, +y down)
// and flipped left-right where sx[i] is -1 (1: not); black (-1, the background) comes in at the edges.
torch::Tensor shift_and_flip(const torch::Tensor& x, const torch::Tensor& dx, const torch::Tensor& dy,
                             const torch::Tensor& sx);

// uint8 [N, C, H, W] -> float in [-1, 1], the generator's range.
torch::Tensor uint8_to_unit_range(const torch::Tensor& images);

}  // namespace draggan
