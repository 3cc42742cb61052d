// Animated PNG (APNG) from a sequence of frames: how the editor exports a drag as an animation. Browsers,
// image viewers and ffmpeg play it; frames keep full colour (no 256-colour palette as in GIF). Each frame is
// encoded by the ordinary PNG writer and its compressed data re-wrapped as APNG frame chunks.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace draggan::server {

// frames: uint8 [H, W, C], all the same size. The last frame is held for `last_frame_ms`. Loops forever.
std::string encode_animated_png(const std::vector<torch::Tensor>& frames, int frame_ms, int last_frame_ms);

}  // namespace draggan::server
