// One resolution of the synthesis network (official SynthesisBlock): [const | conv0 (2x up)] -> conv1 -> toRGB,
// in the 'orig', 'skip' or 'resnet' architecture.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "draggan/nn/Conv2dLayer.h"
#include "draggan/nn/stylegan2/SynthesisLayer.h"
#include "draggan/nn/stylegan2/ToRGBLayer.h"

namespace draggan {

struct SynthesisBlockOptions {
  int64_t in_channels = 0;  // 0 = first block (starts from the learned constant)
  int64_t out_channels = 0;
  int64_t w_dim = 0;
  int64_t resolution = 4;  // rows of the block's maps
  int64_t width = 0;       // their columns; 0 = resolution (square). StyleGAN-Human: resolution / 2
  int64_t img_channels = 3;
  bool is_last = false;
  std::string architecture = "skip";
  std::vector<float> resample_filter{1, 3, 3, 1};
  std::optional<double> conv_clamp;
  bool use_noise = true;
};

class SynthesisBlockImpl : public torch::nn::Module {
 public:
  explicit SynthesisBlockImpl(const SynthesisBlockOptions& options);

  // x: previous block's features (undefined for the first block); img: RGB so far (undefined if none);
  // ws [N, num_conv + num_torgb, w_dim]. Returns the new (x, img). fused_modconv: see ModulatedConvOptions;
  // image_only, random_rows: see SynthesisRequest.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& img,
                                                  const torch::Tensor& ws, NoiseMode noise_mode,
                                                  bool fused_modconv = false, bool image_only = false,
                                                  const BatchRows* random_rows = nullptr);

  int num_conv() const { return num_conv_; }
  int num_torgb() const { return num_torgb_; }
  const SynthesisBlockOptions& options() const { return options_; }
  int64_t width() const { return options_.width > 0 ? options_.width : options_.resolution; }

  torch::Tensor resample_filter, const_input;  // const_input is registered as "const"
  SynthesisLayer conv0{nullptr}, conv1{nullptr};
  ToRGBLayer torgb{nullptr};
  Conv2dLayer skip{nullptr};

 private:
  SynthesisBlockOptions options_;
  int num_conv_ = 0;
  int num_torgb_ = 0;
};
TORCH_MODULE(SynthesisBlock);

}  // namespace draggan
