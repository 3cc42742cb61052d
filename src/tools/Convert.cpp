// `draggan convert`: any supported checkpoint -> our safetensors format (G_ema and, when present, D).
#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/io/ModelFile.h"

namespace draggan::tools {
namespace {

struct ConvertOptions {
  std::string in;
  std::string out;
  bool drop_discriminator = false;
  double drag_lr = 0.0;  // 0 = keep the input's recommendation, if any
};

int run_convert(const ConvertOptions& opt) {
  LoadedModel model = load_model(opt.in);
  const StateDict none;
  std::map<std::string, std::string> metadata{{"source", model.path}, {"source_format", model.format}};
  if (opt.drag_lr < 0.0 || opt.drag_lr >= 1.0) throw InputError("--drag-lr must be in (0, 1)");
  const std::optional<double> lr = opt.drag_lr > 0.0 ? std::optional<double>(opt.drag_lr) : model.recommended_lr;
  if (lr) metadata["drag_lr"] = std::to_string(*lr);
  save_model(opt.out, *model.generator, opt.drop_discriminator ? none : model.discriminator,
             opt.drop_discriminator ? nlohmann::json(nullptr) : model.discriminator_config, metadata);
  log::info("wrote ", opt.out, " (G_ema", model.discriminator.empty() || opt.drop_discriminator ? "" : " + D", ")");
  return 0;
}

SubcommandRunner setup_convert(CLI::App& sub, CommonOptions&) {
  auto opt = std::make_shared<ConvertOptions>();
  sub.add_option("in", opt->in, "Input checkpoint (.pkl or .safetensors)")->required();
  sub.add_option("out", opt->out, "Output .safetensors")->required();
  sub.add_option("--drag-lr", opt->drag_lr,
                 "Record the drag step size this model drags well with (used when --lr / Step size is not set)");
  sub.add_flag("--no-discriminator", opt->drop_discriminator, "Leave D out (smaller file; inversion then uses pixels/LPIPS)");
  return [opt] { return run_convert(*opt); };
}

const RegisterSubcommand kConvert{"convert", "Convert a checkpoint to draggan's safetensors format", 70,
                                  &setup_convert};

}  // namespace
}  // namespace draggan::tools
