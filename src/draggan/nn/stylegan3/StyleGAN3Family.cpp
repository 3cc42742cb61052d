#include "draggan/nn/stylegan3/StyleGAN3Family.h"

#include "draggan/core/Error.h"
#include "draggan/nn/stylegan3/StyleGAN3Kwargs.h"
#include "draggan/nn/stylegan3/StyleGAN3Model.h"

namespace draggan {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

nlohmann::json config_from_snapshot(const nlohmann::json& init_kwargs, const StateDict&) {
  return stylegan3::config_from_nvidia_kwargs(init_kwargs).to_json();
}

GeneratorFamily family(bool radial) {
  GeneratorFamily f;
  f.name = radial ? "stylegan3-r" : "stylegan3-t";
  f.matches_snapshot = [radial](const nlohmann::json& init_kwargs, const StateDict& tensors) {
    return is_stylegan3_snapshot(tensors) && stylegan3_uses_radial_filters(init_kwargs, tensors) == radial;
  };
  f.config_from_snapshot = config_from_snapshot;
  f.build = [name = f.name](const nlohmann::json& config, const StateDict& tensors, const std::string& origin,
                            torch::Device device) {
    GeneratorPtr g = build_stylegan3(config, tensors, origin, device);
    if (g->family() != name)
      throw CheckpointError(origin + ": the config describes a " + g->family() + " generator, not " + name);
    return g;
  };
  return f;
}

}  // namespace

bool is_stylegan3_snapshot(const StateDict& tensors) {
  return tensors.count("synthesis.input.freqs") && tensors.count("synthesis.input.affine.weight");
}

bool stylegan3_uses_radial_filters(const nlohmann::json& init_kwargs, const StateDict& tensors) {
  if (init_kwargs.is_object()) {
    auto it = init_kwargs.find("use_radial_filters");
    if (it != init_kwargs.end() && it->is_boolean()) return it->get<bool>();
    if (it != init_kwargs.end() && !it->is_null()) return false;  // mistyped: config_from_snapshot names it
  }
  for (const auto& [name, t] : tensors)
    if (ends_with(name, ".down_filter") && t.defined() && t.dim() == 2) return true;
  return false;
}

GeneratorPtr build_stylegan3(const nlohmann::json& config_json, const StateDict& tensors, const std::string& origin,
                             torch::Device device) {
  stylegan3::StyleGAN3Config config;
  try {
    config = stylegan3::StyleGAN3Config::from_json(config_json);
  } catch (const CheckpointError& e) {
    throw CheckpointError(origin + ": " + e.what());
  }
  stylegan3::Generator network(config);
  load_state_dict(*network, tensors, origin);
  {
    // The official renderer (and gen_images.py) overwrite the user transform of the Fourier input with the
    // identity before drawing anything, whatever the snapshot stored; so do we.
    torch::NoGradGuard no_grad;
    network->synthesis->input->transform.copy_(torch::eye(3));
  }
  network->to(device);
  return std::make_shared<StyleGAN3Model>(network);
}

GeneratorFamily stylegan3_t_family() { return family(false); }
GeneratorFamily stylegan3_r_family() { return family(true); }

}  // namespace draggan
