// `draggan info`: what a checkpoint holds (architecture, resolution, parameter count), or the provenance record
// an image file we wrote carries (how it was made: model, seed or photo, drags, version; provenance/).
#include <iostream>

#include "Subcommands.h"
#include "draggan/io/ImageRecordReader.h"
#include "draggan/io/ModelFile.h"
#include "draggan/provenance/ImageProvenance.h"

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

int run_image_info(const InfoOptions& opt) {
  const ImageRecord record = read_image_record(opt.model);
  const std::string source_type = digital_source_type_in_xmp(record.xmp);
  if (opt.json) {
    nlohmann::json text = nlohmann::json::object();
    for (const auto& [key, value] : record.text) text[key] = value;
    std::cout << nlohmann::json{{"path", opt.model},
                                {"format", record.format},
                                {"width", record.width},
                                {"height", record.height},
                                {"text", text},
                                {"digital_source_type", source_type},
                                {"xmp", record.xmp}}
                     .dump(2)
              << '\n';
    return 0;
  }
  std::cout << opt.model << " (" << record.format << ", " << record.width << "x" << record.height << ")\n";
  if (record.text.empty() && record.xmp.empty()) {
    std::cout << "  no provenance record (no text chunks or XMP)\n";
    return 0;
  }
  for (const auto& [key, value] : record.text)
    std::cout << "  " << key << std::string(key.size() < 22 ? 22 - key.size() : 1, ' ') << value << '\n';
  if (!record.xmp.empty())
    std::cout << "  XMP source type       " << (source_type.empty() ? "(none)" : source_type) << '\n';
  return 0;
}

int run_info(const InfoOptions& opt) {
  if (looks_like_png_or_gif(opt.model)) return run_image_info(opt);
  LoadedModel model = load_model(opt.model);
  GeneratorModel& g = *model.generator;
  const LatentLayout latent = g.latent_layout();
  const ImageShape shape = g.image_shape();
  const int64_t params = g.parameter_count();
  const int layers = g.num_feature_layers();
  if (opt.json) {
    nlohmann::json j{{"path", model.path},
                     {"format", model.format},
                     {"format_description", format_description(model.format)},
                     {"family", g.family()},
                     {"description", g.description()},
                     {"generator", g.config_json()},
                     {"height", shape.height},
                     {"width", shape.width},
                     {"channels", shape.channels},
                     {"z_dim", latent.z_dim},
                     {"w_dim", latent.w_dim},
                     {"c_dim", latent.c_dim},
                     {"num_ws", latent.num_ws},
                     {"num_feature_layers", layers},
                     {"default_feature_layer", g.default_feature_layer()},
                     {"generator_parameters", params},
                     {"has_discriminator", !model.discriminator.empty()},
                     {"drag_lr", model.recommended_lr ? nlohmann::json(*model.recommended_lr) : nlohmann::json()},
                     {"drag_settings", model.recommended_drag.to_metadata()}};
    std::cout << j.dump(2) << '\n';
    return 0;
  }
  std::cout << model.path << " (" << model.format << ")\n"
            << "  file           " << format_description(model.format) << "\n"
            << "  family         " << g.family() << ": " << g.description() << "\n"
            << "  image          " << shape.width << "x" << shape.height << " (width x height), " << shape.channels
            << (shape.channels == 1 ? " channel\n" : " channels\n")
            << "  z_dim / w_dim  " << latent.z_dim << " / " << latent.w_dim << ", c_dim " << latent.c_dim
            << ", num_ws " << latent.num_ws << "\n"
            << "  features       " << layers << " layers (" << g.feature_layer_name(0) << " .. "
            << g.feature_layer_name(layers - 1) << "), drag supervises "
            << g.feature_layer_name(g.default_feature_layer()) << " by default\n"
            << "  parameters     " << params << " (generator)\n"
            << "  discriminator  " << (model.discriminator.empty() ? "no" : "yes") << "\n"
            << "  architecture   " << g.config_json().dump() << "\n";
  if (model.recommended_lr) std::cout << "  drag lr        " << *model.recommended_lr << " (recommended step size)\n";
  for (const auto& [key, value] : model.recommended_drag.to_metadata())
    std::cout << "  " << key << std::string(key.size() < 15 ? 15 - key.size() : 1, ' ') << value << " (recorded)\n";
  return 0;
}

SubcommandRunner setup_info(CLI::App& sub, CommonOptions&) {
  auto opt = std::make_shared<InfoOptions>();
  sub.add_option("file", opt->model, "Checkpoint (.pkl or .safetensors), or an image (PNG, APNG, GIF) to show its "
                                    "provenance record")
      ->required();
  sub.add_flag("--json", opt->json, "Print JSON");
  return [opt] { return run_info(*opt); };
}

const RegisterSubcommand kInfo{"info", "Describe a checkpoint, or how an image file was made", 80, &setup_info};

}  // namespace
}  // namespace draggan::tools
