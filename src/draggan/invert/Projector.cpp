#include "draggan/invert/Projector.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cctype>

#include "draggan/core/Error.h"
#include "draggan/invert/LatentStatistics.h"
#include "draggan/invert/NoiseRegularizer.h"
#include "draggan/io/Image.h"

namespace draggan {

ProjectionSpace parse_projection_space(const std::string& name) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "w") return ProjectionSpace::W;
  if (s == "w+" || s == "wplus" || s == "w_plus") return ProjectionSpace::WPlus;
  throw InputError("unknown latent space '" + name + "' (expected 'w' or 'w+')");
}

std::string to_string(ProjectionSpace space) { return space == ProjectionSpace::W ? "w" : "w+"; }

void ProjectionOptions::validate() const {
  if (steps < 0) throw InputError("projection steps must be >= 0, got " + std::to_string(steps));
  if (!(schedule.initial_lr > 0)) throw InputError("projection learning rate must be > 0");
  if (!(mse_weight >= 0) || !(perceptual_weight >= 0) || !(noise_regularization_weight >= 0))
    throw InputError("projection loss weights must be >= 0");
  if (w_avg_samples < 1) throw InputError("w_avg_samples must be >= 1");
}

torch::Tensor checked_target(GeneratorModel& generator, const torch::Tensor& target) {
  const ImageShape shape = generator.image_shape();
  if (!target.defined() || target.dim() != 4 || target.size(0) != 1 || target.size(1) != shape.channels ||
      target.size(2) != shape.height || target.size(3) != shape.width)
    throw InputError("projection target must be [1, " + std::to_string(shape.channels) + ", " +
                     std::to_string(shape.height) + ", " + std::to_string(shape.width) + "], got " +
                     (target.defined() ? c10::str(target.sizes()) : std::string("nothing")));
  return target.detach().to(generator.device(), torch::kFloat32);
}

ProjectionResult project(GeneratorModel& generator, const torch::Tensor& target_in, PerceptualLoss* perceptual,
                         const ProjectionOptions& options, const InversionCallbacks& callbacks) {
  options.validate();
  const torch::Tensor target = checked_target(generator, target_in);
  const torch::Device device = target.device();
  const int num_ws = generator.latent_layout().num_ws;
  const LatentStatistics stats = latent_statistics(generator, options.w_avg_samples);

  std::vector<torch::Tensor> target_features;
  if (perceptual != nullptr && options.perceptual_weight > 0) {
    torch::NoGradGuard no_grad;
    target_features = perceptual->features(target);
  }

  const int64_t layers = options.space == ProjectionSpace::W ? 1 : num_ws;
  torch::Tensor w_opt = stats.w_avg.repeat({1, layers, 1}).clone().set_requires_grad(true);
  std::vector<torch::Tensor> params{w_opt};
  std::vector<torch::Tensor> noise_maps;
  if (options.optimize_noise) {
    noise_maps = noise_buffers(generator);
    for (torch::Tensor& n : noise_maps) {
      n.set_requires_grad(true);
      params.push_back(n);
    }
  }
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(options.schedule.initial_lr).betas({0.9, 0.999}));
  // Exploration noise comes from a CPU generator so a seed gives the same run on every device.
  at::Generator rng = at::detail::createCPUGenerator(options.seed);

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
    const torch::Tensor ws = (w_opt + w_noise).expand({1, num_ws, w_opt.size(2)});
    const torch::Tensor image = generator.synthesize(ws, NoiseMode::Const);

    const torch::Tensor mse = (image - target).square().mean();
    torch::Tensor loss = mse * options.mse_weight;
    if (!target_features.empty())
      loss = loss + perceptual->distance(perceptual->features(image), target_features).sum() * options.perceptual_weight;
    if (!noise_maps.empty()) loss = loss + noise_regularization(noise_maps) * options.noise_regularization_weight;

    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    if (!noise_maps.empty()) normalize_noise_(noise_maps);

    result.steps_run = step + 1;
    result.final_loss = loss.item<double>();
    if (callbacks.on_step)
      callbacks.report(InversionStage::Projection, step + 1, options.steps, result.final_loss, mse.item<double>(), image);
  }
  for (torch::Tensor& n : noise_maps) n.set_requires_grad(false);
  result.ws = w_opt.detach().expand({1, num_ws, w_opt.size(2)}).contiguous();
  return result;
}

}  // namespace draggan
