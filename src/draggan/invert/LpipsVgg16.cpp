#include "draggan/invert/LpipsVgg16.h"

#include <array>

#include "draggan/core/Error.h"
#include "draggan/io/TorchFile.h"

namespace draggan {
namespace {

// torchvision's vgg16 "features" up to relu5_3: conv channel counts, 0 = 2x2 max pool. Index i of this list is
// index i of torchvision's Sequential once every conv is followed by its ReLU.
constexpr std::array<int, 17> kLayout{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512};
// The LPIPS taps: after these convs' ReLUs (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3), as conv ordinals.
constexpr std::array<int, 5> kTapAfterConv{1, 3, 6, 9, 12};
constexpr std::array<int64_t, 5> kTapChannels{64, 128, 256, 512, 512};

StateDict read_state_dict(const std::string& path) {
  TorchFile file = read_torch_file(path);
  if (file.root == nullptr) throw CheckpointError(path + ": empty torch file");
  StateDict dict = tensor_dict(*file.tensors, *file.root);
  // Some checkpoints wrap the weights: {"state_dict": {...}} or {"model": {...}}; names then carry the prefix.
  for (const char* prefix : {"state_dict.", "model."}) {
    StateDict unwrapped;
    const std::string p = prefix;
    for (const auto& [name, t] : dict)
      if (name.compare(0, p.size(), p) == 0) unwrapped[name.substr(p.size())] = t;
    if (!unwrapped.empty() && unwrapped.size() == dict.size()) return unwrapped;
  }
  return dict;
}

}  // namespace

Vgg16FeaturesImpl::Vgg16FeaturesImpl() {
  features = register_module("features", torch::nn::ModuleList());
  int64_t in = 3;
  for (int c : kLayout) {
    if (c == 0) {
      features->push_back(torch::nn::Identity());  // max pool
      continue;
    }
    features->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c, 3).padding(1)));
    features->push_back(torch::nn::Identity());  // ReLU
    in = c;
  }
}

std::vector<torch::Tensor> Vgg16FeaturesImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> taps;
  int conv_ordinal = 0;
  size_t next_tap = 0;
  for (size_t i = 0; i < features->size() && next_tap < kTapAfterConv.size(); ++i) {
    if (auto conv = features[i]->as<torch::nn::Conv2d>()) {
      x = torch::relu(conv->forward(x));
      ++conv_ordinal;
      ++i;  // the ReLU slot
      if (conv_ordinal == kTapAfterConv[next_tap]) {
        taps.push_back(x);
        ++next_tap;
      }
    } else {
      x = torch::max_pool2d(x, 2, 2);
    }
  }
  return taps;
}

LpipsHeadsImpl::LpipsHeadsImpl() {
  for (size_t k = 0; k < kTapChannels.size(); ++k) {
    torch::nn::Conv2d conv(torch::nn::Conv2dOptions(kTapChannels[k], 1, 1).bias(false));
    auto lin = std::make_shared<torch::nn::Module>();
    lin->register_module("model", torch::nn::Sequential(torch::nn::Dropout(0.0), conv));
    register_module("lin" + std::to_string(k), lin);
    lins.push_back(conv);
  }
}

torch::Tensor LpipsHeadsImpl::forward(int layer, const torch::Tensor& diff2) { return lins.at(layer)->forward(diff2); }

LpipsVgg16::LpipsVgg16(const std::string& vgg16_path, const std::string& lpips_path, torch::Device device) {
  load(read_state_dict(vgg16_path), read_state_dict(lpips_path), device, vgg16_path, lpips_path);
}

LpipsVgg16::LpipsVgg16(const StateDict& vgg16, const StateDict& lpips, torch::Device device, const std::string& origin) {
  load(vgg16, lpips, device, origin + " (vgg16)", origin + " (lin layers)");
}

void LpipsVgg16::load(const StateDict& vgg16, const StateDict& lpips, torch::Device device,
                      const std::string& vgg_origin, const std::string& lpips_origin) {
  // torchvision's file also holds the classifier; LPIPS files may hold the scaling buffers or a copy of the
  // VGG weights ("net.slice1..."): only the names our modules have are read.
  load_state_dict(*vgg_, vgg16, vgg_origin, /*allow_extra=*/true);
  load_state_dict(*heads_, lpips, lpips_origin, /*allow_extra=*/true);
  vgg_->to(device);
  heads_->to(device);
  vgg_->eval();
  heads_->eval();
  for (auto& p : vgg_->parameters()) p.set_requires_grad(false);
  for (auto& p : heads_->parameters()) p.set_requires_grad(false);
  // LPIPS's ScalingLayer: maps [-1, 1] images to the ImageNet statistics VGG was trained on.
  shift_ = torch::tensor({-0.030f, -0.088f, -0.188f}, device).view({1, 3, 1, 1});
  scale_ = torch::tensor({0.458f, 0.448f, 0.450f}, device).view({1, 3, 1, 1});
}

std::vector<torch::Tensor> LpipsVgg16::features(const torch::Tensor& image) {
  torch::Tensor x = downsample_for_perceptual(image);
  if (x.size(1) == 1) x = x.expand({x.size(0), 3, x.size(2), x.size(3)});  // gray models
  if (x.size(1) != 3) throw InputError("LPIPS needs 1- or 3-channel images, got " + c10::str(image.sizes()));
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& f : vgg_->forward((x - shift_) / scale_)) out.push_back(unit_normalize_channels(f));
  return out;
}

torch::Tensor LpipsVgg16::distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size() || a.size() != kTapChannels.size())
    throw InputError("LPIPS: feature lists do not match");
  torch::Tensor total;
  for (size_t k = 0; k < a.size(); ++k) {
    const torch::Tensor d = heads_->forward(static_cast<int>(k), (a[k] - b[k]).square()).mean({1, 2, 3});
    total = total.defined() ? total + d : d;
  }
  return total;
}

}  // namespace draggan
