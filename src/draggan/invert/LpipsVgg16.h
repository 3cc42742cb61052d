// LPIPS (Zhang et al. 2018, the `lpips` package, version 0.1) on VGG16: relu1_2, relu2_2, relu3_3, relu4_3 and
// relu5_3 features, unit-normalised over channels, squared differences weighted per channel by the learned
// 1x1 "lin" layers, averaged over space and summed over layers. The weights come from files a person already
// has: torchvision's vgg16 .pth (only "features.*" is used) and LPIPS's vgg.pth ("lin0.model.1.weight", ...).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "draggan/core/StateDict.h"
#include "draggan/invert/PerceptualLoss.h"

namespace draggan {

// torchvision's vgg16().features up to relu5_3, registered as "features.<index>" like torchvision.
class Vgg16FeaturesImpl : public torch::nn::Module {
 public:
  Vgg16FeaturesImpl();
  // x [N, 3, H, W], already LPIPS-scaled -> the five relu outputs.
  std::vector<torch::Tensor> forward(torch::Tensor x);
  torch::nn::ModuleList features{nullptr};
};
TORCH_MODULE(Vgg16Features);

// The five 1x1 channel weightings, registered as "lin<k>.model.1.weight" like the lpips package.
class LpipsHeadsImpl : public torch::nn::Module {
 public:
  LpipsHeadsImpl();
  // diff2 [N, C_k, H, W] -> [N, 1, H, W]
  torch::Tensor forward(int layer, const torch::Tensor& diff2);
  std::vector<torch::nn::Conv2d> lins;
};
TORCH_MODULE(LpipsHeads);

class LpipsVgg16 : public PerceptualLoss {
 public:
  // Reads both files (torch.save zip or legacy format). CheckpointError naming the file when a tensor is
  // missing or has the wrong shape.
  LpipsVgg16(const std::string& vgg16_path, const std::string& lpips_path, torch::Device device);
  // From already-loaded state dicts (tests).
  LpipsVgg16(const StateDict& vgg16, const StateDict& lpips, torch::Device device, const std::string& origin = "LPIPS");

  std::string name() const override { return "lpips-vgg16"; }
  std::vector<torch::Tensor> features(const torch::Tensor& image) override;
  torch::Tensor distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) override;
  using PerceptualLoss::distance;

 private:
  void load(const StateDict& vgg16, const StateDict& lpips, torch::Device device, const std::string& vgg_origin,
            const std::string& lpips_origin);
  Vgg16Features vgg_;
  LpipsHeads heads_;
  torch::Tensor shift_, scale_;
};

}  // namespace draggan
