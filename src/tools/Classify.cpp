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
  bool json = false;
};

int run_classify(const ClassifyOptions& opt, const CommonOptions& common) {
  if (opt.images.empty()) throw InputError("classify: give one or more image files");
  const std::string path = opt.classifier.empty() ? companion_classifier_path(default_model_path()) : opt.classifier;
  LoadedClassifier c = load_classifier(path, common.torch_device());
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
  sub.add_option("images", opt->images, "Image files (PNG, JPEG, ...)")->required();
  sub.add_option("--classifier", opt->classifier,
                 "Classifier (.safetensors from train-classifier); default: the shipped model's");
  sub.add_flag("--json", opt->json, "Print JSON");
  return [opt, &common] { return run_classify(*opt, common); };
}

const RegisterSubcommand kClassify{"classify", "Classify images with a classifier from train-classifier", 67,
                                   &setup_classify};

}  // namespace
}  // namespace draggan::tools
