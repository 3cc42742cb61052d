// `draggan classify`: the class a classifier (from `train-classifier`) gives images: the check behind `eval`'s
// "class kept", runnable on any PNG, e.g. an eval report's before/after images.
#include <iomanip>
#include <iostream>

#include "Subcommands.h"
#include "draggan/classify/ClassifierFile.h"
#include "draggan/classify/ClassifierTraining.h"
#include "draggan/core/Error.h"
#include "draggan/io/Image.h"

namespace draggan::tools {
namespace {

struct ClassifyOptions {
  std::string classifier;
  std::vector<std::string> images;
  std::string test_data;
  bool json = false;
};

// The classifier's accuracy on Fashion-MNIST's test split, centred and with the garments moved.
nlohmann::json test_accuracies(LoadedClassifier& c, const std::string& dir) {
  const ClassifierConfig& config = c.net->config();
  const LabelledImages test = load_fashion_mnist(dir, "t10k", config.resolution, config.channels);
  nlohmann::json shifted = nlohmann::json::object(), agreement = nlohmann::json::object();
  for (int shift : kReportedShifts) {
    shifted[std::to_string(shift)] = shifted_accuracy(c.net, test, shift);
    agreement[std::to_string(shift)] = shifted_agreement(c.net, test, shift);
  }
  return {{"test_data", dir},
          {"test_images", test.size()},
          {"test_accuracy", classification_accuracy(c.net, test)},
          {"shifted_test_accuracy", shifted},
          {"shifted_test_agreement", agreement}};
}

int run_classify(const ClassifyOptions& opt, const CommonOptions& common) {
  if (opt.images.empty() && opt.test_data.empty())
    throw InputError("classify: give one or more image files, or --test-data DIR");
  const std::string path = opt.classifier.empty() ? companion_classifier_path(default_model_path()) : opt.classifier;
  LoadedClassifier c = load_classifier(path, common.torch_device());
  if (!opt.test_data.empty()) {
    const nlohmann::json a = test_accuracies(c, opt.test_data);
    if (opt.json) {
      std::cout << a.dump(1) << '\n';
    } else {
      std::cout << std::fixed << std::setprecision(2) << path << ": test accuracy "
                << 100 * a["test_accuracy"].get<double>() << "% on " << a["test_images"] << " images";
      for (const auto& [shift, acc] : a["shifted_test_accuracy"].items())
        std::cout << "; moved " << shift << " px: " << 100 * acc.get<double>() << "%";
      std::cout << "\n  the same verdict as on the centred garment when moved";
      for (const auto& [shift, agree] : a["shifted_test_agreement"].items())
        std::cout << " " << shift << " px: " << 100 * agree.get<double>() << "%";
      std::cout << " (the class-kept ceiling of a rigid move)\n";
    }
    if (opt.images.empty()) return 0;
  }
  nlohmann::json results = nlohmann::json::array();
  for (const std::string& file : opt.images) {
    const torch::Tensor hwc = read_image(file);
    const ClassPrediction p = predict_classes(c.net, uint8_to_unit_range(hwc.permute({2, 0, 1}).unsqueeze(0)));
    const int label = static_cast<int>(p.label[0].item<int64_t>());
    const std::string& name = c.net->config().classes.at(static_cast<size_t>(label));
    const double prob = p.probability[0].item<double>();
    if (opt.json) {
      results.push_back({{"image", file}, {"label", label}, {"name", name}, {"probability", prob}});
    } else {
      std::cout << file << ": " << name << " (" << label << ", p " << std::fixed << std::setprecision(3) << prob
                << ")\n";
    }
  }
  if (opt.json) std::cout << results.dump(1) << '\n';
  return 0;
}

SubcommandRunner setup_classify(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<ClassifyOptions>();
  sub.add_option("images", opt->images, "Image files (PNG, JPEG, ...)");
  sub.add_option("--test-data", opt->test_data,
                 "Folder with Fashion-MNIST's t10k IDX files: print the test accuracy, centred and with the "
                 "garments moved 2-8 px");
  sub.add_option("--classifier", opt->classifier,
                 "Classifier (.safetensors from train-classifier); default: the shipped model's");
  sub.add_flag("--json", opt->json, "Print JSON");
  return [opt, &common] { return run_classify(*opt, common); };
}

const RegisterSubcommand kClassify{"classify", "Classify images with a classifier from train-classifier", 67,
                                   &setup_classify};

}  // namespace
}  // namespace draggan::tools
