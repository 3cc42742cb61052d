// The static kwargs of TensorFlow StyleGAN2 networks -> the init kwargs of the official PyTorch classes, as
// the official converter (DragGAN's legacy.py: convert_tf_generator / convert_tf_discriminator) maps them:
// renamed, official defaults for what is absent, `channel_base = 2 * fmap_base`, a few kwargs known and
// ignored (truncation and training options), every other kwarg an error. The result is the stylegan3-codebase
// layout that NvidiaKwargs / DiscriminatorConfig already read.
#pragma once
#include <nlohmann/json.hpp>

namespace draggan {

// Throws CheckpointError("static_kwargs: ...") naming every unknown kwarg, or the kwarg whose value cannot be
// used (None where a value is needed, a non-number fmap_base, an activation other than lrelu).
nlohmann::json generator_kwargs_from_tensorflow(const nlohmann::json& static_kwargs);

// `progressive_fromrgb`: the network has FromRGB_lod<N> variables (progressive-growing layout), which the
// official converter reads as the 'orig' architecture.
nlohmann::json discriminator_kwargs_from_tensorflow(const nlohmann::json& static_kwargs,
                                                    bool progressive_fromrgb);

}  // namespace draggan
