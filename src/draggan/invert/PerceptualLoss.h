// A perceptual distance between images, the term that makes projection match what a person sees rather than
// pixel noise. Implementations: LPIPS on VGG16 (LpipsVgg16), features of the checkpoint's own discriminator
// (DiscriminatorFeatureLoss). Both compare unit-normalised feature maps, LPIPS style.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace draggan {

class PerceptualLoss {
 public:
  virtual ~PerceptualLoss() = default;
  // "lpips-vgg16", "discriminator", ... (printed by the tools).
  virtual std::string name() const = 0;

  // image [N, C, H, W] in [-1, 1] at the generator's resolution -> feature maps, unit-normalised over channels.
  // Differentiable: projection backpropagates through it.
  virtual std::vector<torch::Tensor> features(const torch::Tensor& image) = 0;

  // Per-image distance [N] between two feature lists from features(): sum over layers of the spatial mean of
  // (weighted) squared differences summed over channels.
  virtual torch::Tensor distance(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) = 0;

  torch::Tensor distance(const torch::Tensor& image_a, const torch::Tensor& image_b) {
    return distance(features(image_a), features(image_b));
  }
};

// The official projector's preprocessing: images larger than 256 px are area-downsampled to 256x256 before the
// perceptual network (VGG was trained on 224-px crops; D features at 256 keep the cost flat). Smaller images
// pass unchanged; non-square ones keep their aspect ratio (the longer side becomes 256).
torch::Tensor downsample_for_perceptual(const torch::Tensor& image, int64_t max_size = 256);

// x / (||x||_channels + eps), the LPIPS normalisation of each spatial feature vector.
torch::Tensor unit_normalize_channels(const torch::Tensor& x, double eps = 1e-10);

}  // namespace draggan
