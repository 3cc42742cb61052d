// Bringing an arbitrary photo to a generator's input: its frame (height x width, square or not), channel count,
// [-1, 1] range.
#pragma once
#include <torch/torch.h>

#include <string>

namespace draggan {

enum class FitMode {
  // Largest centred crop of the frame's aspect ratio (for a square frame the official projector's crop:
  // left = (w - s) / 2, top = (h - s) / 2), then resize.
  CenterCrop,
  // Whole image, scaled to fit inside the frame, centred on black (-1) bars.
  Pad,
};

// uint8 [H, W, C] (C = 1..4; alpha dropped) -> float32 [1, channels, height, width] in [-1, 1]
// (x / 127.5 - 1), on the CPU. Resizing is bilinear with antialiasing, so downscaling averages like PIL's
// filters instead of aliasing. channels 3 from gray repeats it; channels 1 from RGB uses the ITU-R 601 luma
// weights 0.299/0.587/0.114, as PIL's convert('L'). Throws InputError on a bad tensor or frame size.
torch::Tensor fit_image(const torch::Tensor& hwc_uint8, int height, int width, int channels,
                        FitMode mode = FitMode::CenterCrop);

// Parses "crop"/"center-crop" and "pad"; throws InputError otherwise.
FitMode parse_fit_mode(const std::string& text);

}  // namespace draggan
