// The one list of families this build knows. A new family adds one line here (no self-registering statics: a
// static library would drop them).
#include "draggan/core/Error.h"
#include "draggan/model/GeneratorFamily.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"
#include "draggan/nn/stylegan3/StyleGAN3Family.h"

namespace draggan {

const std::vector<GeneratorFamily>& generator_families() {
  static const std::vector<GeneratorFamily> families = {
      stylegan_human_family(),
      stylegan2_family(),
      stylegan3_t_family(),
      stylegan3_r_family(),
  };
  return families;
}

const GeneratorFamily& generator_family(const std::string& name) {
  std::string known;
  for (const GeneratorFamily& f : generator_families()) {
    if (f.name == name) return f;
    known += (known.empty() ? "" : ", ") + f.name;
  }
  throw CheckpointError("unknown generator family '" + name + "' (this build knows " + known + ")");
}

const GeneratorFamily& family_of_snapshot(const nlohmann::json& init_kwargs, const StateDict& tensors,
                                          const std::string& origin) {
  for (const GeneratorFamily& f : generator_families())
    if (f.matches_snapshot(init_kwargs, tensors)) return f;
  // Say what was found where a known name has an unknown shape (e.g. a const that is neither 4x4 nor 4x2).
  std::string detail;
  if (const auto c = tensors.find("synthesis.b4.const"); c != tensors.end())
    detail = ": synthesis.b4.const has shape " + c10::str(c->second.sizes()) +
             " (StyleGAN2: [C, 4, 4], StyleGAN-Human: [C, 4, 2])";
  throw CheckpointError(origin + ": not a generator this build knows (no StyleGAN2/StyleGAN3 layout in its "
                        "tensor names)" + detail);
}

}  // namespace draggan
