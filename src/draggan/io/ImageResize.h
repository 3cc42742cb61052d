// Bringing an arbitrary photo to a generator's input: square, resolution, channel count, [-1, 1] range.
#pragma once
#include <torch/torch.h>

#include <string>

namespace draggan {

enum class FitMode {
  // Largest centred square (the official projector's crop: left = (w - s) / 2, top = (h - s) / 2), then resize.
  CenterCrop,
  // Whole image, longer side scaled to the resolution, centred on black (-1) bars.
  Pad,
};

// uint8 [H, W, C] (C = 1..4; alpha dropped) -> float32 [1, channels, resolution, resolution] in [-1, 1]
// (x / 127.5 - 1), on the CPU. Resizing is bilinear with antialiasing, so downscaling averages like PIL's
// filters instead of aliasing. channels 3 from gray repeats it; channels 1 from RGB uses the ITU-R 601 luma
// weights 0.299/0.587/0.114, as PIL's convert('L'). Throws InputError on a bad tensor or resolution.
torch::Tensor fit_image(const torch::Tensor& hwc_uint8, int resolution, int channels,
                        FitMode mode = FitMode::CenterCrop);

// Parses "crop"/"center-crop" and "pad"; throws InputError otherwise.
FitMode parse_fit_mode(const std::string& text);

}  // namespace draggan
