// `draggan train-classifier`: the small image classifier `draggan eval` uses to tell whether a drag kept the
// object's class, trained on labelled IDX data (Debian's dataset-fashion-mnist) and tested on its test split.
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "Subcommands.h"
#include "draggan/classify/ClassifierFile.h"
#include "draggan/classify/ClassifierTraining.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"

namespace draggan::tools {
namespace {

struct TrainClassifierOptions {
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string out;
  ClassifierConfig config;
  ClassifierTrainOptions train;
};

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

int run_train_classifier(TrainClassifierOptions opt, const CommonOptions& common) {
  if (opt.out.empty()) throw InputError("train-classifier: --out FILE.safetensors is required");
  opt.config.classes = fashion_mnist_classes();
  opt.config.validate();
  opt.train.validate();
  const torch::Device device = common.torch_device();
  const int r = opt.config.resolution, c = opt.config.channels;
  LabelledImages train = load_fashion_mnist(opt.data, "train", r, c);
  LabelledImages test = load_fashion_mnist(opt.data, "t10k", r, c);
  if (train.labels.max().item<int64_t>() >= opt.config.num_classes() || train.labels.min().item<int64_t>() < 0)
    throw InputError("--data " + opt.data + ": labels outside 0.." + std::to_string(opt.config.num_classes() - 1));

  torch::manual_seed(static_cast<uint64_t>(opt.train.seed));  // the initialisation
  ImageClassifier net(opt.config);
  net->to(device);
  int64_t params = 0;
  for (const auto& p : net->parameters()) params += p.numel();
  log::info("train-classifier: ", train.size(), " training / ", test.size(), " test images at ", r, "x", r, "x", c,
            ", ", params, " parameters, ", opt.train.epochs, " epochs, ", device.str());
  train_classifier(net, train, opt.train, [](const ClassifierEpochReport& e) {
    log::info("epoch ", e.epoch, ": loss ", fixed(e.train_loss, 4), ", training accuracy ",
              fixed(100 * e.train_accuracy, 2), "%, ", fixed(e.seconds, 1), " s");
  });
  const double accuracy = classification_accuracy(net, test);
  log::info("test accuracy ", fixed(100 * accuracy, 2), "% on ", test.size(), " images");
  nlohmann::json shifted = nlohmann::json::object();
  for (int shift : kReportedShifts) {
    const double a = shifted_accuracy(net, test, shift);
    shifted[std::to_string(shift)] = std::stod(fixed(a, 6));
    log::info("test accuracy with the garments moved ", shift, " px: ", fixed(100 * a, 2), "%");
  }

  const nlohmann::json training{{"data", opt.data},
                                {"train_images", train.size()},
                                {"test_images", test.size()},
                                {"epochs", opt.train.epochs},
                                {"batch", opt.train.batch},
                                {"lr", opt.train.lr},
                                {"max_shift", opt.train.max_shift},
                                {"xflip", opt.train.xflip},
                                {"seed", opt.train.seed}};
  std::filesystem::path out(opt.out);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  save_classifier(opt.out, net,
                  {{"test_accuracy", fixed(accuracy, 6)},
                   {"shifted_test_accuracy", shifted.dump()},
                   {"training", training.dump()}});
  log::info("wrote ", opt.out);
  return 0;
}

SubcommandRunner setup_train_classifier(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<TrainClassifierOptions>();
  sub.add_option("--data", opt->data, "Folder with Fashion-MNIST's IDX files (train-/t10k-images/labels)")
      ->capture_default_str();
  sub.add_option("-o,--out", opt->out, "Output classifier (.safetensors)")->required();
  sub.add_option("--resolution", opt->config.resolution, "Image size (28-px data is padded with black to it)")
      ->capture_default_str();
  sub.add_option("--channels", opt->config.channels, "1 (gray) or 3")->capture_default_str();
  sub.add_option("--width", opt->config.width, "Channels of the first stage (then 2x, 4x)")->capture_default_str();
  sub.add_option("--epochs", opt->train.epochs, "Passes over the training images")->capture_default_str();
  sub.add_option("--batch", opt->train.batch, "Minibatch size")->capture_default_str();
  sub.add_option("--lr", opt->train.lr, "Adam learning rate (cosine-decayed to 0)")->capture_default_str();
  sub.add_option("--max-shift", opt->train.max_shift, "Random shifts of up to this many pixels")->capture_default_str();
  sub.add_option("--xflip", opt->train.xflip, "Random left-right flips")->capture_default_str();
  sub.add_option("--seed", opt->train.seed, "Seed of initialisation, order and augmentation")->capture_default_str();
  return [opt, &common] { return run_train_classifier(*opt, common); };
}

const RegisterSubcommand kTrainClassifier{"train-classifier",
                                          "Train the small image classifier `eval` uses (Fashion-MNIST IDX data)", 66,
                                          &setup_train_classifier};

}  // namespace
}  // namespace draggan::tools
