// Which perceptual term a projection uses, and building it from what the user has: LPIPS-VGG16 when both
// weight files are given, else the checkpoint's discriminator when it carries one, else none (pixels only).
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>

#include "draggan/invert/PerceptualLoss.h"
#include "draggan/io/ModelFile.h"

namespace draggan {

enum class PerceptualChoice { Auto, Lpips, Discriminator, None };
PerceptualChoice parse_perceptual_choice(const std::string& name);  // auto|lpips|discriminator|d|none

struct PerceptualFiles {
  std::string vgg16;  // torchvision vgg16 .pth
  std::string lpips;  // lpips package's vgg.pth (lin layers)
};

// Auto resolved against what is available (the others pass through). InputError when only one LPIPS file is given.
PerceptualChoice resolve_perceptual_choice(PerceptualChoice choice, const LoadedModel& model,
                                           const PerceptualFiles& files);
std::string to_string(PerceptualChoice choice);  // "auto", "lpips-vgg16", "discriminator", "none"

// Null for None (and for Auto when nothing is available). InputError when an explicit choice cannot be met
// (lpips without both files, discriminator without a D in the checkpoint) or only one LPIPS file is given.
std::unique_ptr<PerceptualLoss> make_perceptual_loss(PerceptualChoice choice, const LoadedModel& model,
                                                     const PerceptualFiles& files, torch::Device device);

}  // namespace draggan
