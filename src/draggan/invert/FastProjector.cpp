#include "draggan/invert/FastProjector.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>

#include "draggan/core/Error.h"
#include "draggan/invert/LatentStatistics.h"

namespace draggan {
namespace {

torch::Tensor downsampled(const torch::Tensor& image, int64_t height) {
  if (image.size(2) == height) return image;
  const int64_t width = std::max<int64_t>(1, image.size(3) * height / image.size(2));
  return torch::adaptive_avg_pool2d(image, {height, width});
}

}  // namespace

void FastProjectionOptions::set_total_steps(int total) {
  if (total < 0) throw InputError("projection steps must be >= 0, got " + std::to_string(total));
  steps = total;
}

void FastProjectionOptions::validate() const {
  if (steps < 0) throw InputError("projection steps must be >= 0, got " + std::to_string(steps));
  if (!(schedule.initial_lr > 0)) throw InputError("projection learning rate must be > 0");
  if (!(coarse_fraction >= 0 && coarse_fraction <= 1)) throw InputError("fast projection: coarse fraction must be in [0, 1]");
  if (coarse_height < 0) throw InputError("fast projection: coarse height must be >= 0");
  if (!(mse_weight >= 0) || !(perceptual_weight >= 0)) throw InputError("projection loss weights must be >= 0");
  if (w_avg_samples < 1) throw InputError("w_avg_samples must be >= 1");
}

int fast_coarse_height(GeneratorModel& generator, const FastProjectionOptions& options) {
  const int image_height = generator.image_shape().height;
  int best = image_height;
  if (options.coarse_height <= 0 || image_height <= options.coarse_height) return best;
  for (int h : generator.coarse_image_heights())
    if (h >= image_height / 8 && h < image_height && std::abs(h - options.coarse_height) < std::abs(best - options.coarse_height))
      best = h;
  return best;
}

ProjectionResult fast_project(GeneratorModel& generator, const torch::Tensor& target_in, PerceptualLoss* perceptual,
                              const FastProjectionOptions& options, const InversionCallbacks& callbacks) {
  options.validate();
  const torch::Tensor target = checked_target(generator, target_in);
  const torch::Device device = target.device();
  const LatentLayout layout = generator.latent_layout();
  const ImageShape shape = generator.image_shape();
  const LatentStatistics stats = latent_statistics(generator, options.w_avg_samples);

  const int64_t rows = options.space == ProjectionSpace::W ? 1 : layout.num_ws;
  torch::Tensor w_opt = stats.w_avg.repeat({1, rows, 1}).clone().set_requires_grad(true);
  torch::optim::Adam optimizer({w_opt}, torch::optim::AdamOptions(options.schedule.initial_lr).betas({0.9, 0.999}));
  at::Generator rng = at::detail::createCPUGenerator(options.seed);

  std::vector<torch::Tensor> target_features;
  if (perceptual != nullptr && options.perceptual_weight > 0) {
    torch::NoGradGuard no_grad;
    target_features = perceptual->features(target);
  }
  const int coarse_height = fast_coarse_height(generator, options);
  const int coarse_steps =
      coarse_height == shape.height ? 0 : static_cast<int>(std::lround(options.steps * options.coarse_fraction));
  const torch::Tensor coarse_target = downsampled(target, coarse_height);

  ProjectionResult result;
  for (int step = 0; step < options.steps; ++step) {
    if (callbacks.cancelled()) {
      result.cancelled = true;
      break;
    }
    const double lr = options.schedule.lr(step, options.steps);
    for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    const double noise_scale = options.schedule.latent_noise(step, options.steps, stats.w_std);
    const torch::Tensor w_noise = torch::randn(w_opt.sizes(), rng, torch::kFloat32).to(device) * noise_scale;
    const torch::Tensor ws = (w_opt + w_noise).expand({1, layout.num_ws, layout.w_dim});

    const bool coarse = step < coarse_steps;
    const torch::Tensor image =
        coarse ? generator.coarse_image(ws, coarse_height, NoiseMode::Const) : generator.synthesize(ws, NoiseMode::Const);
    const torch::Tensor mse = (image - (coarse ? coarse_target : target)).square().mean();
    torch::Tensor loss = mse * options.mse_weight;
    if (!coarse && !target_features.empty())
      loss = loss + perceptual->distance(perceptual->features(image), target_features).sum() * options.perceptual_weight;
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();

    result.steps_run = step + 1;
    result.final_loss = loss.item<double>();
    if (callbacks.on_step) {
      // The preview is at the image's size whatever the step's resolution (the page shows one image).
      torch::Tensor shown = image.detach();
      if (coarse && callbacks.wants_preview(step + 1, options.steps))
        shown = torch::upsample_bilinear2d(shown, {shape.height, shape.width}, false);
      callbacks.report(InversionStage::Projection, step + 1, options.steps, result.final_loss, mse.item<double>(), shown);
    }
  }
  result.ws = w_opt.detach().expand({1, layout.num_ws, layout.w_dim}).contiguous();
  return result;
}

}  // namespace draggan
