// NVIDIA stylegan3 Generator init kwargs (as stored in a snapshot, in their JSON form) -> StyleGAN3Config.
// Flat layout: {z_dim, c_dim, w_dim, img_resolution, img_channels, mapping_kwargs: {num_layers, lr_multiplier,
// w_avg_beta}, then SynthesisNetwork kwargs (channel_base, channel_max, num_layers, margin_size, ...) and
// SynthesisLayer kwargs (conv_kernel, use_radial_filters, filter_size, conv_clamp, magnitude_ema_beta, ...)}.
#pragma once
#include <nlohmann/json.hpp>

#include "draggan/nn/stylegan3/StyleGAN3Config.h"

namespace draggan::stylegan3 {

// Throws CheckpointError("init_kwargs: ...") naming the field: missing or mistyped fields, kwargs the official
// constructor would not accept, and configurations that cannot be built (StyleGAN3Config::validate).
StyleGAN3Config config_from_nvidia_kwargs(const nlohmann::json& kwargs);

}  // namespace draggan::stylegan3
