#include "draggan/invert/PerceptualLossChoice.h"

#include "draggan/core/Error.h"
#include "draggan/invert/DiscriminatorFeatureLoss.h"
#include "draggan/invert/LpipsVgg16.h"

namespace draggan {

PerceptualChoice parse_perceptual_choice(const std::string& name) {
  if (name == "auto") return PerceptualChoice::Auto;
  if (name == "lpips" || name == "lpips-vgg16") return PerceptualChoice::Lpips;
  if (name == "discriminator" || name == "d" || name == "D") return PerceptualChoice::Discriminator;
  if (name == "none" || name == "pixel") return PerceptualChoice::None;
  throw InputError("unknown perceptual loss '" + name + "' (expected auto, lpips, discriminator or none)");
}

PerceptualChoice resolve_perceptual_choice(PerceptualChoice choice, const LoadedModel& model,
                                           const PerceptualFiles& files) {
  if (files.vgg16.empty() != files.lpips.empty())
    throw InputError("LPIPS needs both weight files: --vgg (torchvision vgg16 .pth) and --lpips (lpips vgg.pth)");
  if (choice != PerceptualChoice::Auto) return choice;
  if (!files.vgg16.empty()) return PerceptualChoice::Lpips;
  if (!model.discriminator.empty() && !model.discriminator_config.is_null()) return PerceptualChoice::Discriminator;
  return PerceptualChoice::None;
}

std::string to_string(PerceptualChoice choice) {
  switch (choice) {
    case PerceptualChoice::Auto: return "auto";
    case PerceptualChoice::Lpips: return "lpips-vgg16";
    case PerceptualChoice::Discriminator: return "discriminator";
    default: return "none";
  }
}

std::unique_ptr<PerceptualLoss> make_perceptual_loss(PerceptualChoice choice, const LoadedModel& model,
                                                     const PerceptualFiles& files, torch::Device device) {
  choice = resolve_perceptual_choice(choice, model, files);
  const bool have_lpips = !files.vgg16.empty();
  const bool have_d = !model.discriminator.empty() && !model.discriminator_config.is_null();
  switch (choice) {
    case PerceptualChoice::Lpips:
      if (!have_lpips) throw InputError("--perceptual lpips needs --vgg and --lpips weight files");
      return std::make_unique<LpipsVgg16>(files.vgg16, files.lpips, device);
    case PerceptualChoice::Discriminator:
      if (!have_d) throw InputError(model.path + ": no discriminator in this checkpoint for --perceptual discriminator");
      return std::make_unique<DiscriminatorFeatureLoss>(model.discriminator, model.discriminator_config, device,
                                                        model.path);
    default:
      return nullptr;
  }
}

}  // namespace draggan
