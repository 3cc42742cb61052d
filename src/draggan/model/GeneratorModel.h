// What the drag engine, the inversion and the editor ask of a generator, whatever its family (StyleGAN2,
// StyleGAN3, StyleGAN-Human, ...). Each family implements it in a folder of its own (nn/stylegan2,
// nn/stylegan3); callers never see layers, blocks or checkpoint names.
//
// Coordinates: images are [N, C, height, width]; points are pixels of that image. The drag runs on the
// family's feature canvas (FeatureCanvas), which is the image itself except where the official renderer
// works on a padded plane (StyleGAN-Human's 2:1 image inside a square).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "draggan/model/FeatureWindow.h"
#include "draggan/model/NoiseMode.h"

namespace draggan {

// The latent code's shape: z [N, z_dim] (+ label c [N, c_dim]) -> ws [N, num_ws, w_dim].
struct LatentLayout {
  int z_dim = 0;
  int c_dim = 0;
  int w_dim = 0;
  int num_ws = 0;
};

// The image the generator makes: [N, channels, height, width], values about [-1, 1].
struct ImageShape {
  int height = 0;
  int width = 0;
  int channels = 0;
};

// The plane the supervised features are resized to and on which handles are tracked (the official renderer's
// h x w). The image's pixel (0, 0) lies at canvas pixel (image_top, image_left).
struct FeatureCanvas {
  int height = 0;
  int width = 0;
  int image_top = 0;
  int image_left = 0;
};

// One drag step's request for the supervised features.
struct FeatureRequest {
  int layer = 0;  // in [0, num_feature_layers())
  NoiseMode noise = NoiseMode::Const;
  // Canvas boxes (inclusive) the caller will read, one per handle; empty = the whole canvas. A family that can
  // compute just the parts of the map around them (StyleGAN2's windowed synthesis) does; the others answer every
  // box with the whole canvas.
  std::vector<PixelBox> boxes;
  // Reproduce the official arithmetic exactly (e.g. one fused modulated weight per sample) instead of a faster
  // equivalent that differs only in float rounding.
  bool official_arithmetic = false;
  // Benchmark baseline only: run the whole synthesis (image included) as the official loop does every step.
  bool full_forward = false;
};

struct FeatureResult {
  // One window per box (canvas coordinates), or one whole-canvas window when there were no boxes. Several
  // entries may share one tensor. Autograd flows back to ws when ws requires grad.
  std::vector<FeatureWindow> windows;
  torch::Tensor preview;  // a cheap low-resolution image made on the way [1, C, h, w], or undefined
};

class GeneratorModel {
 public:
  virtual ~GeneratorModel() = default;

  // "stylegan2", "stylegan3-t", "stylegan3-r", "stylegan-human", ...
  virtual std::string family() const = 0;
  // One line for people: "StyleGAN2 (skip), 256x256, 24.8 M parameters" style details without the count.
  virtual std::string description() const = 0;
  virtual LatentLayout latent_layout() const = 0;
  virtual ImageShape image_shape() const = 0;
  virtual FeatureCanvas feature_canvas() const;  // default: the image

  // The layers whose output a drag may supervise (StyleGAN2: synthesis blocks; StyleGAN3: layers).
  virtual int num_feature_layers() const = 0;
  // The official choice (feature_idx 5) where the model has it, else the family's sensible equivalent.
  virtual int default_feature_layer() const = 0;
  virtual std::string feature_layer_name(int layer) const = 0;

  // z [N, z_dim] and c [N, c_dim] (undefined when c_dim == 0) -> ws [N, num_ws, w_dim], truncated as
  // ws[:, :cutoff] = w_avg.lerp(ws[:, :cutoff], psi) (cutoff < 0: every row). Never changes the model: the same
  // z gives the same ws every time.
  virtual torch::Tensor map(const torch::Tensor& z, const torch::Tensor& c = {}, double psi = 1.0,
                            int cutoff = -1) = 0;
  // ws [N, num_ws, w_dim] -> image [N, C, height, width] (not clamped). Differentiable.
  virtual torch::Tensor synthesize(const torch::Tensor& ws, NoiseMode noise = NoiseMode::Const) = 0;
  // The supervised layer's output resized (bilinear, align_corners false) to the canvas, as the official
  // renderer computes it, for the boxes asked.
  virtual FeatureResult features(const torch::Tensor& ws, const FeatureRequest& request) = 0;

  // --- For inversion (coarse-to-fine projection, pivotal tuning). The defaults work for every family; a family
  // that can do better overrides them.
  //
  // Heights of the reduced-resolution images the network makes on the way to the image, smallest first (StyleGAN2
  // skip: the RGB accumulated after each block), each far cheaper than the image. Default: none.
  virtual std::vector<int> coarse_image_heights() const { return {}; }
  // The image at `height` (one of coarse_image_heights(), or the image's own height), [1, C, height, width *
  // height / image height], differentiable. Default: synthesize(), area-downsampled.
  virtual torch::Tensor coarse_image(const torch::Tensor& ws, int height, NoiseMode noise = NoiseMode::Const);
  // The parameters pivotal tuning adjusts: those that shape the image at `min_height` and finer (0: all that shape
  // it at all). Default: every parameter outside a "mapping." submodule, whatever min_height.
  virtual std::vector<torch::Tensor> tuning_parameters(int min_height = 0);

  // The module holding every parameter and buffer under the checkpoint's names: what pivotal tuning optimises,
  // conversion saves and .to(device) moves.
  virtual torch::nn::Module& module() = 0;
  // A deep copy (weights and buffers) on the same device, in eval mode without gradients.
  virtual std::shared_ptr<GeneratorModel> clone() = 0;
  // The architecture, enough to build the model again before loading its tensors; saved in the native file's
  // metadata as "generator_config" beside "family".
  virtual nlohmann::json config_json() const = 0;

  torch::Device device();
  int64_t parameter_count();
};

using GeneratorPtr = std::shared_ptr<GeneratorModel>;

}  // namespace draggan
