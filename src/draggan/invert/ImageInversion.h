// The whole "edit a real photo" preparation in one call, for the CLI (`draggan project`) and the editor's
// upload: fit the photo to the model, pick the perceptual loss, project, optionally pivotal-tune, measure.
// Long-running: report progress and honour cancellation through InversionCallbacks.
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>

#include "draggan/invert/FastProjector.h"
#include "draggan/invert/InversionProgress.h"
#include "draggan/invert/PerceptualLossChoice.h"
#include "draggan/invert/PivotalTuning.h"
#include "draggan/invert/Projector.h"
#include "draggan/io/ImageResize.h"
#include "draggan/io/ModelFile.h"

namespace draggan {

// Full: the reference projector (ProjectionOptions: 1000 steps from the mean latent) and the paper's pivotal
// tuning (350 steps), about an hour for a 256-px model on two CPU cores. Fast: FastProjector's schedule (80 steps)
// and a short tuning (fast_tuning_options, 40 steps), about 75 s on two idle cores at 256 px (bench/README.md).
enum class InversionSchedule { Fast, Full };
InversionSchedule parse_inversion_schedule(const std::string& name);  // "fast" | "full", else InputError
std::string to_string(InversionSchedule schedule);

// The fast schedule's pivotal tuning (the same for every image height): 40 steps at lr 1e-3 of every synthesis
// layer, no locality term. Why (bench/README.md): at 3e-4 (the paper's) 30 steps hardly move a 256-px model;
// tuning only the finer layers saves little time (the 64..256-px blocks hold most of the work); the locality term
// at this budget cost 2-4 dB at the pivot.
PivotalTuningOptions fast_tuning_options(int image_height);

struct InversionOptions {
  InversionSchedule schedule = InversionSchedule::Full;
  ProjectionOptions projection;     // the Full schedule's projection
  FastProjectionOptions fast;       // the Fast schedule's projection (projection.space applies to both)
  PivotalTuningOptions pti;  // pti.steps = 0 skips pivotal tuning
  PerceptualChoice perceptual = PerceptualChoice::Auto;
  PerceptualFiles perceptual_files;
  FitMode fit = FitMode::CenterCrop;
};

// The perceptual term the inversion uses. Auto in the fast schedule is LPIPS when its files are given, else none:
// the discriminator's features pull a short fit away from the pixels (bench/README.md, "Inversion").
PerceptualChoice inversion_perceptual_choice(const InversionOptions& options, const LoadedModel& model);

struct ReconstructionQuality {
  double psnr = 0.0;  // dB, uint8 reconstruction vs uint8 target
  double ssim = 0.0;
};

struct InversionResult {
  torch::Tensor target;          // uint8 [H, W, C]: the photo fitted to the model (what the metrics compare to)
  torch::Tensor ws;              // [1, num_ws, w_dim] float32 on the model's device: the pivot latent
  GeneratorPtr generator;        // the tuned copy after PTI; the model's own generator otherwise
  std::string perceptual;        // the perceptual term used: "lpips-vgg16", "discriminator" or "none"
  ReconstructionQuality projected;            // after projection
  std::optional<ReconstructionQuality> tuned;  // after PTI (when it ran)
  torch::Tensor reconstruction;  // uint8 [H, W, C] of `generator` at `ws` (the official display conversion)
  bool cancelled = false;        // a stage stopped early; the fields hold what was reached
};

// photo: uint8 [H, W, C] as read_image/decode_image return. `model` is not modified (with
// projection.optimize_noise and no PTI, the optimised noise lives in a copy returned as `generator`).
InversionResult invert_image(LoadedModel& model, const torch::Tensor& photo, const InversionOptions& options,
                             const InversionCallbacks& callbacks = {});

// PSNR/SSIM of generator(ws) (const noise, official uint8 conversion) against a uint8 [H, W, C] target.
ReconstructionQuality measure_reconstruction(GeneratorModel& generator, const torch::Tensor& ws,
                                             const torch::Tensor& target);

// float [1, C, H, W] in [-1, 1] -> uint8 [H, W, C], rounded (the inverse of fit_image's x / 127.5 - 1).
torch::Tensor fitted_to_uint8(const torch::Tensor& fitted);

}  // namespace draggan
