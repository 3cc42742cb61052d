// NVIDIA's Generator init kwargs -> GeneratorConfig. Two layouts exist:
//  - stylegan3 codebase (also DragGAN): flat, {z_dim, c_dim, w_dim, img_resolution, img_channels,
//    mapping_kwargs: {num_layers, ...}, channel_base, channel_max, num_fp16_res, conv_clamp, ...};
//  - stylegan2-ada-pytorch: the synthesis options nested in synthesis_kwargs: {...}.
// Works on the JSON form so that any snapshot reader (torch pickle, a future TensorFlow one) can use it.
#pragma once
#include <nlohmann/json.hpp>

#include "draggan/nn/stylegan2/GeneratorConfig.h"

namespace draggan {

// Throws CheckpointError("init_kwargs: ...") for missing or mistyped fields and options we cannot build.
GeneratorConfig generator_config_from_nvidia_kwargs(const nlohmann::json& kwargs);

}  // namespace draggan
