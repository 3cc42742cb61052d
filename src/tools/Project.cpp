// `draggan project`: a photo -> the latent (and, with pivotal tuning, the fine-tuned generator) that reproduce
// it, so a real image can be dragged like a generated one. Prints PSNR/SSIM after each stage on stdout.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "AiMarkOption.h"
#include "ProgressBar.h"
#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/invert/ImageInversion.h"
#include "draggan/invert/InversionChoices.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/ModelProvenance.h"
#include "draggan/io/Npy.h"
#include "draggan/core/Digest.h"

namespace draggan::tools {
namespace {

struct ProjectOptions {
  std::string model;
  std::string image;
  InversionChoices choices;  // --space, --schedule, --steps, ..., --seed
  std::string out = "projected.png";
  std::string out_latent = "projected_w.npy";
  std::string out_model = "projected_G.safetensors";
  std::string out_target;
  AiMarkOption mark;
};

void make_parent_dirs(const std::string& path) {
  const std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
}

std::string quality_line(const char* stage, const ReconstructionQuality& q) {
  char line[160];
  std::snprintf(line, sizeof line, "%s: PSNR %.2f dB, SSIM %.4f", stage, q.psnr, q.ssim);
  return line;
}

int run_project(const ProjectOptions& opt, const CommonOptions& common) {
  if (opt.image.empty()) throw InputError("--image is required");
  // Validated before anything is loaded; the tuning's defaults depend on the model, so they are set again below.
  InversionOptions options = inversion_options_from(opt.choices, 256, [](const std::string& key) {
    if (key == "schedule=full") return std::string("--schedule full");
    std::string flag = "--" + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
  });

  // The image first: a typo in its name should not cost a model load.
  const torch::Tensor photo = read_image(opt.image);
  const torch::Device device = common.torch_device();
  const std::string model_path = opt.model.empty() ? default_model_path() : opt.model;
  LoadedModel model = load_model(model_path, device);
  options.pti = tuning_options_from(opt.choices, options.schedule, model.generator->image_shape().height);

  std::unique_ptr<ProgressBar> bar;
  InversionStage bar_stage = InversionStage::Projection;
  InversionCallbacks callbacks;
  callbacks.on_step = [&](const InversionProgress& p) {
    if (!bar || bar_stage != p.stage) {
      bar = std::make_unique<ProgressBar>(to_string(p.stage), p.total);
      bar_stage = p.stage;
    }
    char status[64];
    std::snprintf(status, sizeof status, "loss %.4f mse %.5f", p.loss, p.mse);
    bar->update(p.step, status);
    if (p.step == p.total || (p.total >= 10 && p.step % (p.total / 10) == 0))
      log::debug(to_string(p.stage), " step ", p.step, "/", p.total, ": ", status);
  };

  const PerceptualChoice perceptual = inversion_perceptual_choice(options, model);
  options.perceptual = perceptual;
  const int projection_steps = options.schedule == InversionSchedule::Fast ? options.fast.total_steps()
                                                                           : options.projection.steps;
  std::printf("projecting %s into %s of %s (%s schedule): %d steps, then %d PTI steps; perceptual loss: %s%s\n",
              opt.image.c_str(), to_string(options.projection.space).c_str(), model_path.c_str(),
              opt.choices.schedule.c_str(), projection_steps, options.pti.steps,
              to_string(perceptual).c_str(),
              perceptual != PerceptualChoice::None || opt.choices.perceptual != "auto" ? ""
              : options.schedule == InversionSchedule::Fast
                  ? " (pixel MSE only: no --vgg/--lpips given; --perceptual discriminator adds the checkpoint's D)"
                  : " (pixel MSE only: no --vgg/--lpips given and the checkpoint has no discriminator)");
  std::fflush(stdout);
  InversionResult result = invert_image(model, photo, options, callbacks);
  bar.reset();

  std::printf("%s\n", quality_line("projection", result.projected).c_str());
  if (result.tuned) std::printf("%s\n", quality_line("pti", *result.tuned).c_str());
  std::printf("%s\n", quality_line("final", result.tuned ? *result.tuned : result.projected).c_str());

  // The reconstruction is the photo as the generator makes it: an edited photo, named by the photo's hash.
  ImageProvenance record = image_provenance_of(model);
  record.origin = ImageOrigin::EditedPhoto;
  record.photo_sha256 = file_sha256_hex(opt.image);
  make_parent_dirs(opt.out);
  write_png(opt.out, opt.mark.apply(result.reconstruction), &record);
  std::printf("wrote %s (reconstruction)\n", opt.out.c_str());
  if (!opt.out_target.empty()) {
    ImageProvenance target_record = record;
    target_record.origin = ImageOrigin::Other;
    target_record.description = "The photo, cropped and resized by draggan project to the model's image size";
    make_parent_dirs(opt.out_target);
    write_png(opt.out_target, result.target, &target_record);
    std::printf("wrote %s (target fitted to %dx%d)\n", opt.out_target.c_str(), model.generator->image_shape().width,
                model.generator->image_shape().height);
  }
  make_parent_dirs(opt.out_latent);
  write_npy(opt.out_latent, result.ws.cpu());
  std::printf("wrote %s (latent %s)\n", opt.out_latent.c_str(), c10::str(result.ws.sizes()).c_str());
  // The latent only reproduces the photo with the generator it was found for: save it when it changed.
  if (result.tuned || opt.choices.optimize_noise) {
    make_parent_dirs(opt.out_model);
    save_model(opt.out_model, *result.generator, model.discriminator, model.discriminator_config,
               {{"source_model", model_path},
                {kSourcePhotoSha256Key, record.photo_sha256},
                {"pivot_latent", opt.out_latent},
                {"pti_steps", std::to_string(options.pti.steps)},
                {"schedule", to_string(options.schedule)}});
    std::printf("wrote %s (%s generator; drag with --model %s --latent %s)\n", opt.out_model.c_str(),
                result.tuned ? "pivotal-tuned" : "noise-optimised", opt.out_model.c_str(), opt.out_latent.c_str());
  }
  if (result.cancelled) log::warn("stopped early; the outputs hold the result reached so far");
  return 0;
}

SubcommandRunner setup_project(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<ProjectOptions>();
  sub.add_option("-m,--model", opt->model, "Checkpoint (.pkl or .safetensors); default: the shipped model");
  sub.add_option("-i,--image", opt->image, "Photo to project (PNG, JPEG, BMP, GIF, TGA, PSD, PNM, HDR)")->required();
  sub.add_option("--space", opt->choices.space, "Latent space: w or w+")->capture_default_str();
  sub.add_option("--schedule", opt->choices.schedule,
                 "fast (the reference projector's arithmetic in 80 steps, the first 60% on a ~64-px coarse image, "
                 "then 40 tuning steps of every synthesis layer; about 75 s on two idle cores at 256 px, 4.5 min at 512, bench/README.md) "
                 "or full (the reference projector's 1000 steps and the paper's 350 tuning steps)")
      ->capture_default_str();
  sub.add_option("--steps", opt->choices.steps, "Projection steps (default: fast 80; full 1000)");
  sub.add_option("--pti-steps", opt->choices.pti_steps, "Pivotal-tuning steps, 0 = no tuning (default: fast 40; full 350)");
  sub.add_option("--lr", opt->choices.lr, "Projection learning rate, the peak of its ramps (default: 0.1 for both schedules)");
  sub.add_option("--pti-lr", opt->choices.pti_lr, "Pivotal-tuning learning rate (default: fast 1e-3; full 3e-4)");
  sub.add_option("--perceptual", opt->choices.perceptual,
                 "Perceptual loss: auto (lpips if --vgg/--lpips, else for --schedule full the checkpoint's D, "
                 "else none), lpips, discriminator or none")
      ->capture_default_str();
  sub.add_option("--vgg", opt->choices.vgg, "torchvision vgg16 weights (.pth) for LPIPS");
  sub.add_option("--lpips", opt->choices.lpips, "LPIPS linear-layer weights (lpips package's vgg.pth)");
  sub.add_option("--fit", opt->choices.fit, "Fit the photo to the model's frame (2:1 for StyleGAN-Human): crop (the centre) or pad")->capture_default_str();
  sub.add_flag("--optimize-noise", opt->choices.optimize_noise, "Also optimise the noise maps (saved in --out-model)");
  sub.add_option("-s,--seed", opt->choices.seed, "Seed of the optimisation noise")->capture_default_str();
  sub.add_option("-o,--out", opt->out, "Reconstruction PNG")->capture_default_str();
  sub.add_option("--out-latent", opt->out_latent, "Pivot latent .npy [1, num_ws, w_dim]")->capture_default_str();
  sub.add_option("--out-model", opt->out_model, "Tuned generator (.safetensors), written when PTI runs")
      ->capture_default_str();
  sub.add_option("--out-target", opt->out_target, "Also save the photo as fitted to the model (PNG)");
  opt->mark.add_to(sub);
  return [opt, &common] { return run_project(*opt, common); };
}

const RegisterSubcommand kProject{"project", "Find the latent (and tuned generator) that reproduce a photo", 50,
                                  &setup_project};

}  // namespace
}  // namespace draggan::tools
