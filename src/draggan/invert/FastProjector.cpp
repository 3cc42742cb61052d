#include "draggan/invert/FastProjector.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/invert/LatentStatistics.h"

namespace draggan {
namespace {

constexpr int64_t kSearchBatch = 16;

torch::Tensor downsampled(const torch::Tensor& image, int64_t height) {
  if (image.size(2) == height) return image;
  const int64_t width = std::max<int64_t>(1, image.size(3) * height / image.size(2));
  return torch::adaptive_avg_pool2d(image, {height, width});
}

// The coarse height nearest to `wanted` (the image's height when the model has no coarse images).
int nearest_height(const std::vector<int>& heights, int wanted, int image_height) {
  int best = image_height;
  for (int h : heights)
    if (std::abs(h - wanted) < std::abs(best - wanted)) best = h;
  return best;
}

// The stages' heights, coarsest first, one per entry of stage_steps that fits (the last is the image's).
std::vector<int> stage_heights(const std::vector<int>& coarse, int image_height, size_t stages) {
  std::vector<int> heights;
  for (int h : coarse)
    if (h >= image_height / 8 && h < image_height) heights.push_back(h);
  heights.push_back(image_height);
  if (heights.size() > stages) heights.erase(heights.begin(), heights.end() - static_cast<int64_t>(stages));
  return heights;
}

// The best start among the mean latent and `count` mapped seeds: the smallest MSE of the coarse image.
torch::Tensor search_start(GeneratorModel& generator, const torch::Tensor& target, const torch::Tensor& w_avg,
                           const FastProjectionOptions& options) {
  const LatentLayout layout = generator.latent_layout();
  const torch::Tensor mean_ws = w_avg.expand({1, layout.num_ws, layout.w_dim}).contiguous();
  if (options.search_candidates <= 0) return mean_ws;
  torch::NoGradGuard no_grad;
  const ImageShape shape = generator.image_shape();
  const int height = nearest_height(generator.coarse_image_heights(), options.search_height, shape.height);
  const torch::Tensor small_target = downsampled(target, height);

  NumpyRandomState rng(options.seed);
  const int64_t count = options.search_candidates;
  const torch::Tensor z = rng.randn(count * layout.z_dim).view({count, layout.z_dim}).to(target.device(), torch::kFloat32);
  const int64_t truncated = count / 2;
  std::vector<torch::Tensor> parts{mean_ws};
  if (truncated > 0) parts.push_back(generator.map(z.slice(0, 0, truncated), {}, 0.7));
  parts.push_back(generator.map(z.slice(0, truncated), {}, 1.0));
  const torch::Tensor candidates = torch::cat(parts);

  std::vector<torch::Tensor> errors;
  for (int64_t i = 0; i < candidates.size(0); i += kSearchBatch) {
    const torch::Tensor batch = candidates.slice(0, i, std::min<int64_t>(i + kSearchBatch, candidates.size(0)));
    const torch::Tensor image = generator.coarse_image(batch, height, NoiseMode::Const);
    errors.push_back((image - small_target).square().mean({1, 2, 3}));
  }
  const int64_t best = torch::cat(errors).argmin().item<int64_t>();
  return candidates.slice(0, best, best + 1).clone();
}

}  // namespace

int FastProjectionOptions::total_steps() const {
  int total = 0;
  for (int s : stage_steps) total += s;
  return total;
}

void FastProjectionOptions::set_total_steps(int total) {
  if (total < 0) throw InputError("projection steps must be >= 0, got " + std::to_string(total));
  const int sum = std::max(1, total_steps());
  std::vector<int> scaled;
  int given = 0;
  for (size_t i = 0; i < stage_steps.size(); ++i) {
    const bool last = i + 1 == stage_steps.size();
    const int n = last ? total - given : static_cast<int>(std::lround(double(stage_steps[i]) * total / sum));
    scaled.push_back(std::clamp(n, 0, total - given));
    given += scaled.back();
  }
  stage_steps = scaled;
}

void FastProjectionOptions::validate() const {
  if (search_candidates < 0 || search_candidates > 4096)
    throw InputError("fast projection: search candidates must be in 0..4096");
  if (stage_steps.empty()) throw InputError("fast projection: no stages");
  for (int s : stage_steps)
    if (s < 0) throw InputError("fast projection: stage steps must be >= 0");
  if (!(lr > 0)) throw InputError("projection learning rate must be > 0");
  if (!(mse_weight >= 0) || !(perceptual_weight >= 0)) throw InputError("projection loss weights must be >= 0");
  if (w_avg_samples < 1) throw InputError("w_avg_samples must be >= 1");
}

ProjectionResult fast_project(GeneratorModel& generator, const torch::Tensor& target_in, PerceptualLoss* perceptual,
                              const FastProjectionOptions& options, const InversionCallbacks& callbacks) {
  options.validate();
  const torch::Tensor target = checked_target(generator, target_in);
  const LatentLayout layout = generator.latent_layout();
  const ImageShape shape = generator.image_shape();
  const LatentStatistics stats = latent_statistics(generator, options.w_avg_samples);

  const torch::Tensor start = search_start(generator, target, stats.w_avg, options);
  // W: one vector for every layer; the search's mapped candidates have equal rows, so row 0 is the candidate.
  torch::Tensor w_opt =
      (options.space == ProjectionSpace::W ? start.narrow(1, 0, 1) : start).clone().set_requires_grad(true);
  torch::optim::Adam optimizer({w_opt}, torch::optim::AdamOptions(options.lr).betas({0.9, 0.999}));

  std::vector<torch::Tensor> target_features;
  if (perceptual != nullptr && options.perceptual_weight > 0) {
    torch::NoGradGuard no_grad;
    target_features = perceptual->features(target);
  }

  const std::vector<int> heights =
      stage_heights(generator.coarse_image_heights(), shape.height, options.stage_steps.size());
  // Stages the model has no coarse height for run at its coarsest.
  std::vector<int> steps(options.stage_steps.end() - static_cast<int64_t>(heights.size()), options.stage_steps.end());
  for (auto it = options.stage_steps.begin(); it != options.stage_steps.end() - static_cast<int64_t>(heights.size()); ++it)
    steps.front() += *it;
  const int total = options.total_steps();

  ProjectionResult result;
  int done = 0;
  for (size_t stage = 0; stage < heights.size() && !result.cancelled; ++stage) {
    const bool last = stage + 1 == heights.size();
    const torch::Tensor stage_target = downsampled(target, heights[stage]);
    for (int step = 0; step < steps[stage]; ++step) {
      if (callbacks.cancelled()) {
        result.cancelled = true;
        break;
      }
      // Constant, then a half cosine over the stage's last quarter: to lr / 4 between stages, to 0 at the end.
      const double t = static_cast<double>(step) / steps[stage];
      const double down = std::clamp((t - 0.75) / 0.25, 0.0, 1.0);
      const double floor = last ? 0.0 : 0.25;
      const double lr = options.lr * (floor + (1.0 - floor) * (0.5 + 0.5 * std::cos(down * M_PI)));
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);

      const torch::Tensor ws = w_opt.expand({1, layout.num_ws, layout.w_dim});
      const torch::Tensor image = generator.coarse_image(ws, heights[stage], NoiseMode::Const);
      const torch::Tensor mse = (image - stage_target).square().mean();
      torch::Tensor loss = mse * options.mse_weight;
      if (last && !target_features.empty())
        loss = loss +
               perceptual->distance(perceptual->features(image), target_features).sum() * options.perceptual_weight;
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();

      ++done;
      result.steps_run = done;
      result.final_loss = loss.item<double>();
      if (callbacks.on_step) {
        // The preview is at the image's size whatever the stage (the page shows one image).
        torch::Tensor shown = image.detach();
        if (callbacks.wants_preview(done, total) && heights[stage] != shape.height)
          shown = torch::upsample_bilinear2d(shown, {shape.height, shape.width}, false);
        callbacks.report(InversionStage::Projection, done, total, result.final_loss, mse.item<double>(), shown);
      }
    }
  }
  result.ws = w_opt.detach().expand({1, layout.num_ws, layout.w_dim}).contiguous();
  return result;
}

}  // namespace draggan
