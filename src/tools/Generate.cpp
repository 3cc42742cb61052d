// `draggan generate`: seed (or saved latent) -> image, exactly as the official code maps seeds to z.
#include <filesystem>

#include "AiMarkOption.h"
#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/ModelProvenance.h"
#include "draggan/io/Npy.h"
#include "draggan/provenance/Sha256.h"

namespace draggan::tools {
namespace {

struct GenerateOptions {
  std::string model;
  int64_t seed = 0;
  double psi = 1.0;
  int cutoff = -1;
  int class_index = -1;
  std::string noise = "const";
  std::string latent;
  std::string out = "out.png";
  std::string w_out;
  AiMarkOption mark;
};

torch::Tensor class_vector(const LatentLayout& config, int class_index) {
  if (config.c_dim == 0) {
    if (class_index >= 0) throw InputError("--class: this model is unconditional (c_dim = 0)");
    return {};
  }
  if (class_index < 0 || class_index >= config.c_dim)
    throw InputError("--class: this model is conditional; pass --class 0.." + std::to_string(config.c_dim - 1));
  torch::Tensor c = torch::zeros({1, config.c_dim});
  c[0][class_index] = 1.0;
  return c;
}

int run_generate(const GenerateOptions& opt, const CommonOptions& common) {
  const torch::Device device = common.torch_device();
  const std::string model_path = opt.model.empty() ? default_model_path() : opt.model;
  LoadedModel model = load_model(model_path, device);
  const LatentLayout cfg = model.generator->latent_layout();
  torch::NoGradGuard no_grad;

  torch::Tensor ws;
  ImageProvenance provenance = image_provenance_of(model);
  if (!opt.latent.empty()) {
    provenance.latent_sha256 = file_sha256_hex(opt.latent);
    ws = latent_from_npy(opt.latent, cfg, device);  // the shapes drag takes; NaN/infinity refused
  } else {
    if (opt.seed < 0 || opt.seed > 0xffffffffLL) throw InputError("--seed must be in 0..2^32-1");
    provenance.seed = static_cast<uint32_t>(opt.seed);
    provenance.psi = opt.psi;
    torch::Tensor z = z_from_seed(static_cast<uint32_t>(opt.seed), cfg.z_dim).to(device);
    torch::Tensor c = class_vector(cfg, opt.class_index);
    if (c.defined()) c = c.to(device);
    ws = model.generator->map(z, c, opt.psi, opt.cutoff);
  }
  torch::Tensor image = model.generator->synthesize(ws, parse_noise_mode(opt.noise));

  std::filesystem::path out(opt.out);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  write_png(opt.out, opt.mark.apply(image_to_uint8(image.cpu())), &provenance);
  const ImageShape shape = model.generator->image_shape();
  log::info("wrote ", opt.out, " (", shape.width, "x", shape.height, ", ", model.generator->family(), ", ",
            model.format, ")");
  if (!opt.w_out.empty()) {
    write_npy(opt.w_out, ws.cpu());
    log::info("wrote ", opt.w_out, " (latent ", c10::str(ws.sizes()), ")");
  }
  return 0;
}

SubcommandRunner setup_generate(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<GenerateOptions>();
  sub.add_option("-m,--model", opt->model, "Checkpoint (.pkl or .safetensors); default: the shipped model");
  sub.add_option("-s,--seed", opt->seed, "Seed: z = NumPy RandomState(seed).randn(1, z_dim), as the official code")
      ->capture_default_str();
  sub.add_option("--psi", opt->psi, "Truncation psi")->capture_default_str();
  sub.add_option("--cutoff", opt->cutoff, "Truncate only the first N layers (-1 = all)")->capture_default_str();
  sub.add_option("--class", opt->class_index, "Class index for conditional models");
  sub.add_option("--noise", opt->noise, "Noise mode: const, random or none")->capture_default_str();
  sub.add_option("--latent", opt->latent, "Render a saved latent (.npy [1, num_ws, w_dim]) instead of a seed");
  sub.add_option("-o,--out", opt->out, "Output PNG (with its provenance record: `draggan info FILE`)")
      ->capture_default_str();
  sub.add_option("--w-out", opt->w_out, "Also save the latent W+ [1, num_ws, w_dim] as .npy");
  opt->mark.add_to(sub);
  return [opt, &common] { return run_generate(*opt, common); };
}

const RegisterSubcommand kGenerate{"generate", "Make an image from a seed (or a saved latent)", 30, &setup_generate};

}  // namespace
}  // namespace draggan::tools
