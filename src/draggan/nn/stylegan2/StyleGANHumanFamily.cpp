// The registry entry for StyleGAN-Human (stylegan-human/StyleGAN-Human, training_scripts/sg2): StyleGAN2 with
// 2:1 maps. Its snapshots are NVIDIA PyTorch snapshots of that codebase's networks (nested synthesis_kwargs, as
// stylegan2-ada-pytorch); the official renderer recognises them by file name and rebuilds G with square=False,
// so their init kwargs usually omit `square`. We recognise them by content: the learned constant
// `synthesis.b4.const` is [C, 4, 2] instead of [C, 4, 4].
#include "draggan/core/Error.h"
#include "draggan/io/NvidiaKwargs.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"
#include "draggan/nn/stylegan2/StoredGeneratorConfig.h"

namespace draggan {
namespace {

bool has_two_to_one_const(const StateDict& tensors) {
  const auto c = tensors.find("synthesis.b4.const");
  return c != tensors.end() && c->second.dim() == 3 && c->second.size(1) == 4 && c->second.size(2) == 2;
}

// A kwargs value `square` other than false contradicts the 2:1 tensors.
bool kwargs_say_square(const nlohmann::json& kwargs) {
  if (!kwargs.is_object()) return false;
  const auto it = kwargs.find("square");
  return it != kwargs.end() && !(it->is_boolean() && !it->get<bool>());
}

}  // namespace

GeneratorFamily stylegan_human_family() {
  GeneratorFamily f;
  f.name = "stylegan-human";
  f.matches_snapshot = [](const nlohmann::json&, const StateDict& tensors) {
    return has_two_to_one_const(tensors) && tensors.count("mapping.w_avg") > 0;
  };
  f.config_from_snapshot = [](const nlohmann::json& kwargs, const StateDict&) {
    if (kwargs_say_square(kwargs))
      throw CheckpointError("init_kwargs: 'square' is " + kwargs.at("square").dump() +
                            " but synthesis.b4.const is 2:1 ([C, 4, 2]): a StyleGAN-Human generator has square=False");
    GeneratorConfig c = generator_config_from_nvidia_kwargs(kwargs);
    c.square = false;
    // That codebase's MappingNetwork tracks w_avg with beta 0.995 whatever the kwargs layout.
    const auto mapping = kwargs.find("mapping_kwargs");
    if (mapping == kwargs.end() || !mapping->is_object() || !mapping->contains("w_avg_beta")) c.w_avg_beta = 0.995;
    try {
      c.validate();
    } catch (const CheckpointError& e) {
      throw CheckpointError(std::string("init_kwargs: ") + e.what());
    }
    return c.to_json();
  };
  f.build = [](const nlohmann::json& config, const StateDict& tensors, const std::string& origin,
               torch::Device device) -> GeneratorPtr {
    const GeneratorConfig c = generator_config_at(config, origin);
    if (c.square)
      throw CheckpointError(origin + ": generator config is square, but the stylegan-human family makes 2:1 images "
                            "(\"square\": false)");
    return make_stylegan2_model(c, tensors, origin, device);
  };
  return f;
}

}  // namespace draggan
