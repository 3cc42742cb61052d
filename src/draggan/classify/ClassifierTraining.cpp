#include "draggan/classify/ClassifierTraining.h"

#include <chrono>
#include <cmath>
#include <filesystem>

#include "draggan/classify/ClassifierFile.h"
#include "draggan/core/Error.h"
#include "draggan/train/IdxFile.h"
#include "draggan/train/ImageDataset.h"

namespace draggan {

LabelledImages load_labelled_idx(const std::string& images_path, const std::string& labels_path, int resolution,
                                 int channels) {
  LabelledImages out;
  out.images = fit_idx_images(read_idx_images(images_path), resolution, channels);
  out.labels = read_idx_labels(labels_path);
  if (out.labels.size(0) != out.images.size(0))
    throw InputError(labels_path + ": " + std::to_string(out.labels.size(0)) + " labels for the " +
                     std::to_string(out.images.size(0)) + " images of " + images_path);
  return out;
}

LabelledImages load_fashion_mnist(const std::string& dir, const std::string& split, int resolution,
                                  int channels) {
  namespace fs = std::filesystem;
  auto find = [&](const std::string& stem) {
    for (const std::string& name : {stem + ".gz", stem})
      if (fs::exists(fs::path(dir) / name)) return (fs::path(dir) / name).string();
    throw InputError("--data " + dir + ": no " + stem +
                     "(.gz) (expected Fashion-MNIST's IDX files, as Debian's " +
                     "dataset-fashion-mnist installs them in /usr/share/datasets/fashion-mnist)");
  };
  const std::string images =
      find(split + "-images-idx3-ubyte");  // named first in the error when both are missing
  return load_labelled_idx(images, find(split + "-labels-idx1-ubyte"), resolution, channels);
}

void ClassifierTrainOptions::validate() const {
  if (epochs < 1 || epochs > 1000) throw InputError("--epochs must be in 1..1000");
  if (batch < 1 || batch > 65536) throw InputError("--batch must be in 1..65536");
  if (!(std::isfinite(lr) && lr > 0.0 && lr < 1.0)) throw InputError("--lr must be in (0, 1)");
  if (max_shift < 0 || max_shift > 64) throw InputError("--max-shift must be in 0..64");
}

torch::Tensor uint8_to_unit_range(const torch::Tensor& images) {
  return images.to(torch::kFloat32) / 127.5 - 1.0;
}

torch::Tensor shift_and_flip(const torch::Tensor& x, const torch::Tensor& dx, const torch::Tensor& dy,
                             const torch::Tensor& sx) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  torch::Tensor theta = torch::zeros({n, 2, 3}, torch::kFloat32);
  theta.select(1, 0).select(1, 0).copy_(sx);
  theta.select(1, 1).select(1, 1).fill_(1.0);
  // Normalised coordinates (align_corners false): one pixel is 2 / size.
  theta.select(1, 0).select(1, 2).copy_(-dx * 2.0 / static_cast<double>(w));
  theta.select(1, 1).select(1, 2).copy_(-dy * 2.0 / static_cast<double>(h));
  torch::Tensor grid = torch::nn::functional::affine_grid(theta.to(x.device()), x.sizes().vec(), false);
  // Sample x + 1 with zero padding, so what comes in is -1 (black), not the zero of the [-1, 1] range.
  return torch::nn::functional::grid_sample(x + 1.0, grid,
                                            torch::nn::functional::GridSampleFuncOptions()
                                                .mode(torch::kNearest)
                                                .padding_mode(torch::kZeros)
                                                .align_corners(false)) -
         1.0;
}

namespace {

torch::Tensor augment(const torch::Tensor& x, const ClassifierTrainOptions& options, torch::Generator& gen) {
  const int64_t n = x.size(0);
  auto opts = torch::TensorOptions(torch::kFloat32);
  torch::Tensor dx = torch::randint(-options.max_shift, options.max_shift + 1, {n}, gen, opts);
  torch::Tensor dy = torch::randint(-options.max_shift, options.max_shift + 1, {n}, gen, opts);
  torch::Tensor sx = options.xflip ? torch::randint(0, 2, {n}, gen, opts) * 2 - 1 : torch::ones({n}, opts);
  return shift_and_flip(x, dx, dy, sx);
}

}  // namespace

void train_classifier(ImageClassifier& net, const LabelledImages& data, const ClassifierTrainOptions& options,
                      const std::function<void(const ClassifierEpochReport&)>& on_epoch) {
  options.validate();
  const torch::Device device = net->parameters().front().device();
  torch::Generator gen = at::detail::createCPUGenerator(static_cast<uint64_t>(options.seed));
  torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(options.lr));
  const int64_t n = data.size();
  const int64_t batches = (n + options.batch - 1) / options.batch;
  const int64_t total_steps = batches * options.epochs;
  int64_t step = 0;
  net->train();
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    torch::Tensor order = torch::randperm(n, gen, torch::kInt64);
    double loss_sum = 0.0;
    int64_t correct = 0;
    for (int64_t b = 0; b < batches; ++b, ++step) {
      // Cosine decay to zero over the whole run.
      const double lr = 0.5 * options.lr * (1.0 + std::cos(M_PI * static_cast<double>(step) / total_steps));
      for (auto& group : optimizer.param_groups())
        static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
      torch::Tensor idx = order.slice(0, b * options.batch, (b + 1) * options.batch);
      torch::Tensor x = augment(uint8_to_unit_range(data.images.index_select(0, idx)), options, gen).to(device);
      torch::Tensor y = data.labels.index_select(0, idx).to(device);
      torch::Tensor logits = net->forward(x);
      torch::Tensor loss = torch::cross_entropy_loss(logits, y);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      loss_sum += loss.item<double>();
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    }
    if (on_epoch) {
      ClassifierEpochReport r;
      r.epoch = epoch;
      r.train_loss = loss_sum / static_cast<double>(batches);
      r.train_accuracy = static_cast<double>(correct) / static_cast<double>(n);
      r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      on_epoch(r);
    }
  }
  net->eval();
}

double classification_accuracy(ImageClassifier& net, const LabelledImages& data) {
  ClassPrediction p = predict_classes(net, uint8_to_unit_range(data.images));
  return p.label.eq(data.labels).to(torch::kFloat64).mean().item<double>();
}

namespace {

// The labels of `data` moved as `shifted_accuracy` describes.
torch::Tensor shifted_labels(ImageClassifier& net, const LabelledImages& data, int shift, uint64_t seed) {
  if (shift < 0 || shift > 64) throw InputError("shifted accuracy: the shift must be in 0..64");
  const int64_t n = data.size();
  torch::Generator gen = at::detail::createCPUGenerator(seed);
  // One of the 8 compass directions per image: dx, dy in {-1, 0, 1}, not both 0.
  torch::Tensor direction = torch::randint(0, 8, {n}, gen, torch::kInt64);
  direction = direction + direction.ge(4).to(torch::kInt64);  // skip the centre of the 3x3 grid
  torch::Tensor dx = (direction.remainder(3) - 1).to(torch::kFloat32) * shift;
  torch::Tensor dy = (direction.div(3, "floor") - 1).to(torch::kFloat32) * shift;
  const torch::Tensor images = shift_and_flip(uint8_to_unit_range(data.images), dx, dy, torch::ones({n}));
  return predict_classes(net, images).label;
}

}  // namespace

double shifted_accuracy(ImageClassifier& net, const LabelledImages& data, int shift, uint64_t seed) {
  return shifted_labels(net, data, shift, seed).eq(data.labels).to(torch::kFloat64).mean().item<double>();
}

double shifted_agreement(ImageClassifier& net, const LabelledImages& data, int shift, uint64_t seed) {
  const torch::Tensor centred = predict_classes(net, uint8_to_unit_range(data.images)).label;
  return shifted_labels(net, data, shift, seed).eq(centred).to(torch::kFloat64).mean().item<double>();
}

}  // namespace draggan
