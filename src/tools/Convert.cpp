// `draggan convert`: any supported checkpoint -> our safetensors format (G_ema and, when present, D), optionally
// recording the drag settings the model drags well with (what `drag`, `eval` and the editor then start from).
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/drag/DragDefaults.h"
#include "draggan/io/ModelFile.h"

namespace draggan::tools {
namespace {

// Each --drag-* option given replaces what the input records; the others are kept.
struct RecordedDragOptions {
  double lr = 0;
  std::string space;
  int layers = 0, first_layer = 0, max_steps = 0, feature_block = 0;
  double r1 = 0, r2 = 0, stop_distance = 0, reg = 0, reg_l2 = 0, lambda_mask = 0;
  CLI::Option *lr_opt = nullptr, *space_opt = nullptr, *layers_opt = nullptr,
              *first_layer_opt = nullptr, *max_steps_opt = nullptr,
              *feature_block_opt = nullptr, *r1_opt = nullptr, *r2_opt = nullptr, *stop_opt = nullptr,
              *reg_opt = nullptr, *reg_l2_opt = nullptr, *lambda_mask_opt = nullptr;
};

struct ConvertOptions {
  std::string in;
  std::string out;
  bool drop_discriminator = false;
  RecordedDragOptions drag;
};

void apply_recorded_drag(const RecordedDragOptions& o, LoadedModel& model) {
  if (o.lr_opt->count()) {
    if (!(o.lr > 0.0 && o.lr < 1.0)) throw InputError("--drag-lr must be in (0, 1)");
    model.recommended_lr = o.lr;
  }
  RecommendedDrag& r = model.recommended_drag;
  if (o.space_opt->count()) r.space = to_string(parse_latent_space(o.space));
  if (o.layers_opt->count()) r.optimized_layers = o.layers;
  if (o.first_layer_opt->count()) r.first_optimized_layer = o.first_layer;
  if (o.max_steps_opt->count()) {
    if (o.max_steps < 1) throw InputError("--drag-max-steps must be >= 1");
    r.max_steps = o.max_steps;
  }
  if (o.feature_block_opt->count()) r.feature_block = o.feature_block;
  if (o.r1_opt->count()) r.r1 = o.r1;
  if (o.r2_opt->count()) r.r2 = o.r2;
  if (o.stop_opt->count()) {
    if (o.stop_distance < 0) throw InputError("--drag-stop-distance must be >= 0 px");
    r.stop_distance = o.stop_distance;
  }
  if (o.reg_opt->count()) r.reg = o.reg;
  if (o.reg_l2_opt->count()) r.reg_l2 = o.reg_l2;
  if (o.lambda_mask_opt->count()) r.lambda_mask = o.lambda_mask;
  // A recorded setting this generator cannot run (a block it lacks, a negative radius) fails now, not in the editor.
  resolve_drag_params(model_drag_settings(model).params, *model.generator);
}

// The output is always safetensors: a checkpoint-like name (ffhq.pkl) would hide that from the next reader of the
// file, so it is refused before any work is done.
void check_output_name(const std::string& out) {
  const std::string ext = std::filesystem::path(out).extension().string();
  std::string lower(ext.size(), '\0');
  std::transform(ext.begin(), ext.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == ".pkl" || lower == ".pickle" || lower == ".pt" || lower == ".pth")
    throw InputError(out + ": convert writes safetensors only; name the output .safetensors");
}

int run_convert(const ConvertOptions& opt) {
  check_output_name(opt.out);
  LoadedModel model = load_model(opt.in);
  apply_recorded_drag(opt.drag, model);
  const StateDict none;
  std::map<std::string, std::string> metadata{{"source", model.path}, {"source_format", model.format}};
  if (model.recommended_lr) metadata["drag_lr"] = std::to_string(*model.recommended_lr);
  for (const auto& [key, value] : model.recommended_drag.to_metadata()) metadata[key] = value;
  save_model(opt.out, *model.generator, opt.drop_discriminator ? none : model.discriminator,
             opt.drop_discriminator ? nlohmann::json(nullptr) : model.discriminator_config, metadata);
  log::info("wrote ", opt.out, " (G_ema", model.discriminator.empty() || opt.drop_discriminator ? "" : " + D", ")");
  return 0;
}

SubcommandRunner setup_convert(CLI::App& sub, CommonOptions&) {
  auto opt = std::make_shared<ConvertOptions>();
  RecordedDragOptions& d = opt->drag;
  sub.add_option("in", opt->in, "Input checkpoint (.pkl or .safetensors)")->required();
  sub.add_option("out", opt->out, "Output .safetensors")->required();
  sub.add_flag("--no-discriminator", opt->drop_discriminator, "Leave D out (smaller file; inversion then uses pixels/LPIPS)");
  const std::string record = "Record the drag ";
  d.lr_opt = sub.add_option("--drag-lr", d.lr, record + "step size this model drags well with");
  d.space_opt = sub.add_option("--drag-space", d.space, record + "latent space (w or w+)");
  d.layers_opt = sub.add_option("--drag-layers", d.layers, record + "number of optimised ws rows");
  d.first_layer_opt = sub.add_option("--drag-first-layer", d.first_layer,
                                     record + "first optimised ws row (the rows before stay fixed)");
  d.r1_opt = sub.add_option("--drag-r1", d.r1, record + "motion radius (512-px scale, as --r1)");
  d.r2_opt = sub.add_option("--drag-r2", d.r2, record + "tracking radius (512-px scale, as --r2)");
  d.stop_opt = sub.add_option("--drag-stop-distance", d.stop_distance, record + "stop distance in px");
  d.max_steps_opt = sub.add_option("--drag-max-steps", d.max_steps, record + "step limit");
  d.feature_block_opt = sub.add_option("--drag-feature-block", d.feature_block, record + "supervised block");
  d.reg_opt = sub.add_option("--drag-reg", d.reg, record + "latent regulariser weight");
  d.reg_l2_opt = sub.add_option("--drag-reg-l2", d.reg_l2, record + "quadratic latent pull weight");
  d.lambda_mask_opt = sub.add_option("--drag-lambda-mask", d.lambda_mask, record + "mask term weight");
  return [opt] { return run_convert(*opt); };
}

const RegisterSubcommand kConvert{"convert", "Convert a checkpoint to draggan's safetensors format", 70,
                                  &setup_convert};

}  // namespace
}  // namespace draggan::tools
