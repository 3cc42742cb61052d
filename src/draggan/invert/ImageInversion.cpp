#include "draggan/invert/ImageInversion.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "draggan/core/Error.h"
#include "draggan/invert/ImageMetrics.h"
#include "draggan/io/Image.h"

namespace draggan {

InversionSchedule parse_inversion_schedule(const std::string& name) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "fast") return InversionSchedule::Fast;
  if (s == "full") return InversionSchedule::Full;
  throw InputError("unknown inversion schedule '" + name + "' (expected 'fast' or 'full')");
}

std::string to_string(InversionSchedule schedule) { return schedule == InversionSchedule::Fast ? "fast" : "full"; }

PivotalTuningOptions fast_tuning_options(int /*image_height*/) {
  PivotalTuningOptions o;
  o.steps = 40;
  o.lr = 1e-3;
  o.min_height = 0;
  // No locality term: at this budget it cost 2-4 dB at the pivot (shipped model and a 256-px random one) and, on
  // the 256-px model, did not even keep the other latents closer (bench/README.md).
  o.locality_weight = 0.0;
  return o;
}

PerceptualChoice inversion_perceptual_choice(const InversionOptions& options, const LoadedModel& model) {
  const PerceptualChoice choice = resolve_perceptual_choice(options.perceptual, model, options.perceptual_files);
  if (options.schedule == InversionSchedule::Fast && options.perceptual == PerceptualChoice::Auto &&
      choice == PerceptualChoice::Discriminator)
    return PerceptualChoice::None;
  return choice;
}

torch::Tensor fitted_to_uint8(const torch::Tensor& fitted) {
  return ((fitted[0].detach().to(torch::kCPU) + 1.0) * 127.5)
      .round()
      .clamp(0, 255)
      .to(torch::kUInt8)
      .permute({1, 2, 0})
      .contiguous();
}

ReconstructionQuality measure_reconstruction(GeneratorModel& generator, const torch::Tensor& ws,
                                             const torch::Tensor& target) {
  torch::NoGradGuard no_grad;
  const torch::Tensor image = image_to_uint8(generator.synthesize(ws, NoiseMode::Const));
  ReconstructionQuality q;
  q.psnr = psnr(image, target);
  // SSIM's 11x11 window does not fit tiny images; report NaN rather than fail the whole inversion.
  q.ssim = image.size(0) >= 11 && image.size(1) >= 11 ? ssim(image, target) : std::numeric_limits<double>::quiet_NaN();
  return q;
}

InversionResult invert_image(LoadedModel& model, const torch::Tensor& photo, const InversionOptions& options,
                             const InversionCallbacks& callbacks) {
  if (options.schedule == InversionSchedule::Fast) options.fast.validate();
  else options.projection.validate();
  options.pti.validate();
  const ImageShape shape = model.generator->image_shape();
  const torch::Device device = model.generator->device();
  const torch::Tensor fitted = fit_image(photo, shape.height, shape.width, shape.channels, options.fit).to(device);

  InversionResult result;
  result.target = fitted_to_uint8(fitted);
  std::unique_ptr<PerceptualLoss> perceptual =
      make_perceptual_loss(inversion_perceptual_choice(options, model), model, options.perceptual_files, device);
  result.perceptual = perceptual ? perceptual->name() : "none";

  // Noise maps optimised in place must not leak into the caller's model.
  GeneratorPtr projector_generator = options.projection.optimize_noise ? model.generator->clone() : model.generator;
  ProjectionResult projection;
  if (options.schedule == InversionSchedule::Fast) {
    FastProjectionOptions fast = options.fast;
    fast.space = options.projection.space;
    projection = fast_project(*projector_generator, fitted, perceptual.get(), fast, callbacks);
  } else {
    projection = project(*projector_generator, fitted, perceptual.get(), options.projection, callbacks);
  }
  result.ws = projection.ws;
  result.generator = projector_generator;
  result.cancelled = projection.cancelled;
  result.projected = measure_reconstruction(*result.generator, result.ws, result.target);

  if (options.pti.steps > 0 && !result.cancelled) {
    PivotalTuningResult tuning =
        pivotal_tuning(*projector_generator, result.ws, fitted, perceptual.get(), options.pti, callbacks);
    result.generator = tuning.generator;
    result.cancelled = tuning.cancelled;
    result.tuned = measure_reconstruction(*result.generator, result.ws, result.target);
  }
  {
    torch::NoGradGuard no_grad;
    result.reconstruction =
        image_to_uint8(result.generator->synthesize(result.ws, NoiseMode::Const));
  }
  return result;
}

}  // namespace draggan
