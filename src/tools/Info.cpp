// `draggan info`: what a checkpoint holds (architecture, resolution, parameter count).
#include <iostream>

#include "Subcommands.h"
#include "draggan/io/ModelFile.h"

namespace draggan::tools {
namespace {

// What each load_model format is, for people.
std::string format_description(const std::string& format) {
  if (format == "nvidia-pkl") return "NVIDIA PyTorch snapshot (G_ema)";
  if (format == "tensorflow-pkl")
    return "TensorFlow StyleGAN2 network pickle (Gs, converted on load as the official legacy.py does)";
  if (format == "safetensors") return "draggan safetensors";
  return format;
}

struct InfoOptions {
  std::string model;
  bool json = false;
};

int run_info(const InfoOptions& opt) {
  LoadedModel model = load_model(opt.model);
  const GeneratorConfig& c = model.config;
  const int64_t params = parameter_count(*model.generator);
  if (opt.json) {
    nlohmann::json j{{"path", model.path},
                     {"format", model.format},
                     {"format_description", format_description(model.format)},
                     {"generator", c.to_json()},
                     {"num_ws", c.num_ws()},
                     {"num_blocks", c.num_blocks()},
                     {"generator_parameters", params},
                     {"has_discriminator", !model.discriminator.empty()},
                     {"drag_lr", model.recommended_lr ? nlohmann::json(*model.recommended_lr) : nlohmann::json()}};
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout << model.path << " (" << model.format << ")\n"
            << "  file           " << format_description(model.format) << "\n"
            << "  StyleGAN2 generator, architecture " << c.architecture << "\n"
            << "  resolution     " << c.img_resolution << "x" << c.img_resolution << ", " << c.img_channels
            << (c.img_channels == 1 ? " channel\n" : " channels\n")
            << "  z_dim / w_dim  " << c.z_dim << " / " << c.w_dim << ", c_dim " << c.c_dim << "\n"
            << "  mapping        " << c.mapping_layers << " layers, lr multiplier " << c.mapping_lr_multiplier << "\n"
            << "  synthesis      " << c.num_blocks() << " blocks, num_ws " << c.num_ws() << ", channel_base "
            << c.channel_base << ", channel_max " << c.channel_max << "\n"
            << "  channels       ";
  for (int r : c.block_resolutions()) std::cout << "b" << r << ":" << c.channels_at(r) << " ";
  std::cout << "\n  conv_clamp     " << (c.conv_clamp ? std::to_string(*c.conv_clamp) : std::string("none"))
            << ", num_fp16_res " << c.num_fp16_res << "\n"
            << "  parameters     " << params << " (generator)\n"
            << "  discriminator  " << (model.discriminator.empty() ? "no" : "yes") << "\n";
  if (model.recommended_lr) std::cout << "  drag lr        " << *model.recommended_lr << " (recommended step size)\n";
  return 0;
}

SubcommandRunner setup_info(CLI::App& sub, CommonOptions&) {
  auto opt = std::make_shared<InfoOptions>();
  sub.add_option("model", opt->model, "Checkpoint (.pkl or .safetensors)")->required();
  sub.add_flag("--json", opt->json, "Print JSON");
  return [opt] { return run_info(*opt); };
}

const RegisterSubcommand kInfo{"info", "Describe a checkpoint", 80, &setup_info};

}  // namespace
}  // namespace draggan::tools
