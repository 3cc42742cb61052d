#include "draggan/invert/PivotalTuning.h"

#include <ATen/CPUGeneratorImpl.h>

#include "draggan/core/Error.h"
#include "draggan/core/StateDict.h"
#include "draggan/invert/Projector.h"
#include "draggan/io/Image.h"

namespace draggan {
namespace {

// MSE plus the weighted perceptual distance between two images of one batch.
torch::Tensor reconstruction_loss(const torch::Tensor& image, const torch::Tensor& reference,
                                  const std::vector<torch::Tensor>& reference_features, PerceptualLoss* perceptual,
                                  double mse_weight, double perceptual_weight) {
  torch::Tensor loss = (image - reference).square().mean() * mse_weight;
  if (perceptual != nullptr && perceptual_weight > 0)
    loss = loss + perceptual->distance(perceptual->features(image), reference_features).mean() * perceptual_weight;
  return loss;
}

}  // namespace

void PivotalTuningOptions::validate() const {
  if (steps < 0) throw InputError("PTI steps must be >= 0, got " + std::to_string(steps));
  if (!(lr > 0)) throw InputError("PTI learning rate must be > 0");
  if (!(mse_weight >= 0) || !(perceptual_weight >= 0) || !(locality_weight >= 0))
    throw InputError("PTI loss weights must be >= 0");
  if (!(locality_fraction >= 0 && locality_fraction <= 1))
    throw InputError("PTI locality fraction must be in [0, 1]");
  if (locality_every < 1) throw InputError("PTI locality_every must be >= 1");
  if (min_height < 0) throw InputError("PTI min_height must be >= 0");
}

PivotalTuningResult pivotal_tuning(GeneratorModel& original, const torch::Tensor& pivot_ws, const torch::Tensor& target_in,
                                   PerceptualLoss* perceptual, const PivotalTuningOptions& options,
                                   const InversionCallbacks& callbacks) {
  options.validate();
  const torch::Tensor target = checked_target(original, target_in);
  const torch::Device device = target.device();
  const LatentLayout layout = original.latent_layout();
  if (!pivot_ws.defined() || pivot_ws.dim() != 3 || pivot_ws.size(0) != 1 || pivot_ws.size(1) != layout.num_ws ||
      pivot_ws.size(2) != layout.w_dim)
    throw InputError("PTI pivot must be [1, " + std::to_string(layout.num_ws) + ", " + std::to_string(layout.w_dim) +
                     "], got " + (pivot_ws.defined() ? c10::str(pivot_ws.sizes()) : std::string("nothing")));
  const torch::Tensor pivot = pivot_ws.detach().to(device, torch::kFloat32);

  PivotalTuningResult result;
  result.generator = original.clone();
  GeneratorModel& tuned = *result.generator;
  // Only synthesis weights matter: the pivot is already in W+, so the mapping network gets no gradient; the
  // family says which of them shape the image at min_height and finer.
  std::vector<torch::Tensor> params = tuned.tuning_parameters(options.min_height);
  if (params.empty()) throw InputError("PTI: the generator has no parameters to tune at that resolution");
  for (torch::Tensor& p : params) p.set_requires_grad(true);
  torch::optim::Adam optimizer(params, torch::optim::AdamOptions(options.lr));

  std::vector<torch::Tensor> target_features;
  const bool use_perceptual = perceptual != nullptr && options.perceptual_weight > 0;
  if (use_perceptual) {
    torch::NoGradGuard no_grad;
    target_features = perceptual->features(target);
  }
  at::Generator rng = at::detail::createCPUGenerator(options.seed);

  for (int step = 0; step < options.steps; ++step) {
    if (callbacks.cancelled()) {
      result.cancelled = true;
      break;
    }
    const torch::Tensor image = tuned.synthesize(pivot, NoiseMode::Const);
    const torch::Tensor mse = (image - target).square().mean();
    torch::Tensor loss = reconstruction_loss(image, target, target_features, perceptual, options.mse_weight,
                                             options.perceptual_weight);

    if (options.locality_weight > 0 && step % options.locality_every == 0) {
      torch::Tensor nearby, reference;
      std::vector<torch::Tensor> reference_features;
      {
        torch::NoGradGuard no_grad;
        const torch::Tensor z = torch::randn({1, layout.z_dim}, rng, torch::kFloat32).to(device);
        const torch::Tensor w_random = original.map(z, {}, options.locality_psi);
        nearby = pivot + (w_random - pivot) * options.locality_fraction;
        reference = original.synthesize(nearby, NoiseMode::Const);
        if (use_perceptual) reference_features = perceptual->features(reference);
      }
      const torch::Tensor moved = tuned.synthesize(nearby, NoiseMode::Const);
      loss = loss + reconstruction_loss(moved, reference, reference_features, perceptual, options.mse_weight,
                                        options.perceptual_weight) *
                        (options.locality_weight * options.locality_every);
    }

    optimizer.zero_grad();
    loss.backward();
    optimizer.step();

    result.steps_run = step + 1;
    result.final_loss = loss.item<double>();
    if (callbacks.on_step)
      callbacks.report(InversionStage::PivotalTuning, step + 1, options.steps, result.final_loss, mse.item<double>(), image);
  }
  for (auto& p : params) p.set_requires_grad(false);
  return result;
}

}  // namespace draggan
