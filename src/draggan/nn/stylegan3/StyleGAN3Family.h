// The registry entries of StyleGAN3-T and StyleGAN3-R: recognised by content (the Fourier input's tensors
// "synthesis.input.freqs" / "synthesis.input.affine.weight", and radial filters for R), built from the
// snapshot's init kwargs.
#pragma once
#include <nlohmann/json.hpp>

#include "draggan/core/StateDict.h"
#include "draggan/model/GeneratorFamily.h"

namespace draggan {

GeneratorFamily stylegan3_t_family();
GeneratorFamily stylegan3_r_family();

// Whether G_ema's tensors are a StyleGAN3 generator's (the Fourier-feature input is unique to it).
bool is_stylegan3_snapshot(const StateDict& tensors);

// R or T for a StyleGAN3 snapshot: the use_radial_filters kwarg when present, else whether any down-sampling
// filter is 2-D (radial filters are the only non-separable ones).
bool stylegan3_uses_radial_filters(const nlohmann::json& init_kwargs, const StateDict& tensors);

// The family's build(): config JSON (StyleGAN3Config::to_json) + tensors under the checkpoint's names.
GeneratorPtr build_stylegan3(const nlohmann::json& config, const StateDict& tensors, const std::string& origin,
                             torch::Device device);

}  // namespace draggan
