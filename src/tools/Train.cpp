// `draggan train`: StyleGAN2 training on a folder of images or an IDX file (Fashion-MNIST), with checkpoints
// that `--resume` continues exactly and that every other subcommand loads as a model; `--init` fine-tunes a
// model file instead. Under torchrun (or --rank/--world-size) each process is one rank of a group that
// trains one run together (docs/distributed.md); only rank 0 writes snapshots, logs and progress.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "DistCliOptions.h"
#include "ProgressBar.h"
#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/io/ModelFile.h"
#include "draggan/provenance/ImageProvenance.h"
#include "draggan/provenance/Sha256.h"
#include "draggan/train/Trainer.h"

namespace draggan::tools {
namespace {

struct TrainOptions {
  std::vector<std::string> data;
  std::string out;
  std::string resume;
  std::string init;
  double kimg = 200;
  double snap_kimg = 10;
  double max_minutes = 0;
  int grid = 8;
  TrainConfig config;
  CLI::Option* resolution_option = nullptr;
  CLI::Option* channels_option = nullptr;
  CLI::Option* real_shift_option = nullptr;
  CLI::Option* real_warp_option = nullptr;
  CLI::Option* pl_weight_option = nullptr;
  DistCliOptions dist;
};

std::string snapshot_name(double kimg) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%010.3f", kimg);  // sorts by name
  return buf;
}

void write_snapshot(Trainer& trainer, const TrainOptions& opt) {
  const std::string stem = opt.out + "/snapshot-" + snapshot_name(trainer.kimg()) + "kimg";
  trainer.save_checkpoint(stem + ".safetensors");
  ImageProvenance record = ImageProvenance::for_model(stem + ".safetensors", file_sha256_hex(stem + ".safetensors"));
  record.description = "AI generated: samples of a training snapshot (draggan train)";
  write_png(stem + ".png", trainer.sample_grid(opt.grid, opt.grid), &record);
  log::info("wrote ", stem, ".safetensors and .png");
}

TrainConfig resolve_config(const TrainOptions& opt, TrainingCheckpoint* ckpt) {
  if (!ckpt) {
    opt.config.validate();
    return opt.config;
  }
  TrainConfig saved = ckpt->config;
  if (opt.resolution_option->count() && opt.config.resolution != saved.resolution)
    throw InputError("--resolution " + std::to_string(opt.config.resolution) + " does not match the checkpoint " +
                     ckpt->path + " (trained at " + std::to_string(saved.resolution) + ")");
  if (opt.channels_option->count() && opt.config.channels != saved.channels)
    throw InputError("--channels " + std::to_string(opt.config.channels) + " does not match the checkpoint " +
                     ckpt->path + " (" + std::to_string(saved.channels) + " channels)");
  // What the data looks like may change between runs (fine-tuning a centred model on moved garments).
  if (opt.real_shift_option->count()) saved.real_shift = opt.config.real_shift;
  if (opt.real_warp_option->count()) saved.real_warp = opt.config.real_warp;
  if (opt.pl_weight_option->count()) saved.pl_weight = opt.config.pl_weight;
  saved.validate();
  return saved;
}

// --init: the networks' shapes are the model's, every other setting is the flags'. The model must be one that
// `train` could have built (StyleGAN2, skip generator, resnet discriminator), with its discriminator.
TrainConfig config_for_model(TrainConfig config, const LoadedModel& model) {
  const std::string& path = model.path;
  if (model.generator->family() != "stylegan2")
    throw InputError("--init " + path + ": train fine-tunes StyleGAN2 generators, this one is " +
                     model.generator->family());
  if (model.discriminator.empty())
    throw InputError("--init " + path + ": the file has no discriminator (D.*), which fine-tuning needs");
  const GeneratorConfig g = GeneratorConfig::from_json(model.generator->config_json());
  config.resolution = g.img_resolution;
  config.channels = g.img_channels;
  config.z_dim = g.z_dim;
  config.w_dim = g.w_dim;
  config.mapping_layers = g.mapping_layers;
  config.channel_base = g.channel_base;
  config.channel_max = g.channel_max;
  config.validate();
  if (config.generator_config().to_json() != g.to_json())
    throw InputError("--init " + path + ": its generator " + g.to_json().dump() +
                     " is not one train builds (conditional, another architecture or other layer options)");
  if (model.discriminator_config.is_null() ||
      DiscriminatorConfig::from_json(model.discriminator_config).to_json() !=
          config.discriminator_config().to_json())
    throw InputError("--init " + path + ": its discriminator is not one train builds for this generator");
  return config;
}

// --resume latest: the newest snapshot in the output folder (the names sort by kimg), or none: a run that a
// launcher restarts after a failure (torchrun --max-restarts) goes on from its last snapshot.
std::string latest_snapshot(const std::string& out) {
  namespace fs = std::filesystem;
  std::string best;
  std::error_code ec;
  for (auto it = fs::directory_iterator(out, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("snapshot-", 0) == 0 && it->path().extension() == ".safetensors" && name > best)
      best = name;
  }
  return best.empty() ? std::string() : (fs::path(out) / best).string();
}

int run_train(const TrainOptions& opt, dist::Communicator* group, const torch::Device& device) {
  const bool root = !group || group->is_root();
  if (opt.kimg <= 0) throw InputError("--kimg must be positive");
  if (opt.snap_kimg <= 0) throw InputError("--snap-kimg must be positive");
  if (opt.grid < 1 || opt.grid > 32) throw InputError("--grid must be in 1..32");
  std::string resume = opt.resume;
  if (resume == "latest") {
    // Rank 0's choice, so every rank reads the same file.
    resume = latest_snapshot(opt.out);
    if (group) resume = group->share_text("resume", resume);
    log::info(resume.empty() ? "--resume latest: no snapshot in " + opt.out + " yet, starting afresh"
                             : "--resume latest: " + resume);
  }
  std::unique_ptr<TrainingCheckpoint> ckpt;
  if (!resume.empty()) ckpt = std::make_unique<TrainingCheckpoint>(read_training_checkpoint(resume));
  std::unique_ptr<LoadedModel> init;
  if (!opt.init.empty()) init = std::make_unique<LoadedModel>(load_model(opt.init));
  const TrainConfig config = init ? config_for_model(opt.config, *init) : resolve_config(opt, ckpt.get());

  ImageDataset data = load_dataset(opt.data, config.resolution, config.channels);
  Trainer trainer(config, std::move(data), device, group);
  if (ckpt) {
    trainer.restore(*ckpt);
    log::info("resumed ", resume, " at ", trainer.kimg(), " kimg");
    ckpt.reset();
  }
  if (init) {
    trainer.start_from(state_dict_of(init->generator->module()), init->discriminator, opt.init);
    log::info("fine-tuning ", opt.init, " (its G_ema and D; fresh optimisers, kimg counted from 0)");
    init.reset();
  }
  trainer.synchronise();
  if (root) std::filesystem::create_directories(opt.out);
  std::ostringstream real_changes;
  if (config.real_shift) real_changes << ", real images shifted up to " << config.real_shift << " px";
  if (config.real_warp > 0) real_changes << ", real images bent up to " << config.real_warp << " px";
  if (config.pl_weight > 0) real_changes << ", path-length weight " << config.pl_weight;
  if (group)
    real_changes << ", " << group->world_size() << " ranks of " << config.batch / group->world_size();
  log::info("train: ", config.resolution, "x", config.resolution, "x", config.channels, ", batch ",
            config.batch, real_changes.str(), ", G ", parameter_count(*trainer.G), " / D ",
            parameter_count(*trainer.D), " parameters, gamma ", config.effective_r1_gamma(), ", ",
            device.str());

  const int64_t target_images = static_cast<int64_t>(std::llround(opt.kimg * 1000));
  const int64_t start_images = trainer.images_seen();
  const int64_t session_iters = std::max<int64_t>(0, (target_images - start_images + config.batch - 1) / config.batch);
  ProgressBar bar("train", static_cast<int>(std::min<int64_t>(session_iters, 1 << 30)));
  const auto start = std::chrono::steady_clock::now();
  auto last_log = start;
  auto next_snap = [&](double kimg) { return (std::floor(kimg / opt.snap_kimg + 1e-9) + 1) * opt.snap_kimg; };
  double snap_at = next_snap(trainer.kimg());
  bool saved_now = false;
  double last_path_length = -1;
  while (trainer.images_seen() < target_images) {
    TrainStepStats s = trainer.step();
    saved_now = false;
    if (!std::isfinite(s.g_loss) || !std::isfinite(s.d_loss))
      log::warn("non-finite loss at ", trainer.kimg(), " kimg (G ", s.g_loss, ", D ", s.d_loss, ")");
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start).count();
    const double kimg_done = static_cast<double>(trainer.images_seen() - start_images) / 1000.0;
    char status[192];
    std::snprintf(status, sizeof(status), "kimg %.2f  %.1f s/kimg  G %.3f  D %.3f  r_t %+.2f  p %.3f", trainer.kimg(),
                  kimg_done > 0 ? seconds / kimg_done : 0.0, s.g_loss, s.d_loss, s.real_sign, trainer.augment_p());
    if (s.path_length >= 0) last_path_length = s.path_length;
    if (last_path_length >= 0)
      std::snprintf(status + std::strlen(status), sizeof(status) - std::strlen(status), "  pl %.4f",
                    last_path_length);
    if (root) bar.update(static_cast<int>(trainer.iteration() - start_images / config.batch), status);
    if (!ProgressBar::enabled() && now - last_log > std::chrono::seconds(30)) {
      log::info(status);
      last_log = now;
    }
    bool out_of_time = opt.max_minutes > 0 && seconds >= opt.max_minutes * 60;
    if (group && opt.max_minutes > 0) {
      // Rank 0's clock decides, so every rank stops after the same iteration.
      torch::Tensor flag = torch::tensor({root && out_of_time ? 1.0 : 0.0}, torch::kFloat64);
      group->all_reduce({flag}, /*average=*/false);
      out_of_time = flag.item<double>() > 0;
    }
    if (trainer.kimg() + 1e-9 >= snap_at || out_of_time) {
      bar.finish();
      log::info(status);
      if (root) write_snapshot(trainer, opt);
      saved_now = true;
      snap_at = next_snap(trainer.kimg());
    }
    if (out_of_time) {
      log::info("stopping after --max-minutes ", opt.max_minutes);
      break;
    }
  }
  if (!saved_now && root) write_snapshot(trainer, opt);
  if (group && trainer.iteration() > start_images / config.batch) {
    // What splitting the batch cost this rank (bench/README.md): the collectives, per iteration.
    const dist::Communicator::Traffic t = group->traffic();
    const double iterations = static_cast<double>(trainer.iteration() - start_images / config.batch);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char line[256];
    std::snprintf(
        line, sizeof(line),
        "all-reduce: %.3f MB and %.1f ms per iteration (%.1f%% of %.1f ms), %.1f calls; %.2f kimg/s",
        t.bytes / iterations / 1e6, 1000 * t.seconds / iterations, 100 * t.seconds / seconds,
        1000 * seconds / iterations, t.calls / iterations,
        static_cast<double>(trainer.images_seen() - start_images) / 1000.0 / seconds);
    log::info(line);
  }
  return 0;
}

SubcommandRunner setup_train(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<TrainOptions>();
  TrainConfig& c = opt->config;
  sub.add_option("--data", opt->data, "Image folder or IDX file (e.g. Fashion-MNIST's train-images-idx3-ubyte.gz); "
                                      "repeat to combine")
      ->required();
  sub.add_option("--out", opt->out, "Output folder for checkpoints and sample grids")->required();
  opt->resolution_option = sub.add_option("--resolution", c.resolution, "Image size (power of two)")->capture_default_str();
  opt->channels_option = sub.add_option("--channels", c.channels, "1 (gray) or 3 (RGB)")->capture_default_str();
  std::vector<CLI::Option*> shape_options{opt->resolution_option,
                                          opt->channels_option};  // --init takes the model's
  sub.add_option("--kimg", opt->kimg, "Train until this many thousand images have been shown (in total)")
      ->capture_default_str();
  sub.add_option("--batch", c.batch, "Minibatch size")->capture_default_str();
  shape_options.push_back(
      sub.add_option("--cbase", c.channel_base, "Channel base (channels at res r = min(cbase / r, cmax))")
          ->capture_default_str());
  shape_options.push_back(
      sub.add_option("--cmax", c.channel_max, "Maximum channels per layer")->capture_default_str());
  shape_options.push_back(sub.add_option("--z-dim", c.z_dim, "Latent z size")->capture_default_str());
  shape_options.push_back(sub.add_option("--w-dim", c.w_dim, "Latent w size")->capture_default_str());
  shape_options.push_back(
      sub.add_option("--mapping-layers", c.mapping_layers, "Mapping network depth")->capture_default_str());
  sub.add_option("--gamma", c.r1_gamma, "R1 weight (default: 0.0002 * resolution^2 / batch)");
  sub.add_option("--lr", c.g_lr, "Learning rate of G and D")->capture_default_str()->each([opt](const std::string&) {
    opt->config.d_lr = opt->config.g_lr;
  });
  sub.add_option("--ema-kimg", c.ema_kimg, "G_ema half-life in kimg (default: batch * 10 / 32)");
  sub.add_option("--mirror", c.xflip, "Random left-right flips of the real images")->capture_default_str();
  opt->real_shift_option =
      sub.add_option(
             "--real-shift", c.real_shift,
             "Move each real image by up to this many pixels each way (black comes in), so the generator "
             "learns to place its subject anywhere; with --resume it overrides the checkpoint's")
          ->capture_default_str();
  opt->real_warp_option =
      sub.add_option(
             "--real-warp", c.real_warp,
             "Bend each real image by a smooth random field of up to this many pixels (black comes in), so "
             "the generator learns to move one part of its subject; with --resume it overrides the "
             "checkpoint's")
          ->capture_default_str();
  opt->pl_weight_option =
      sub.add_option(
             "--pl-weight", c.pl_weight,
             "Path-length regularisation of G (StyleGAN2's, 2 in its configs; 0 = off): equal steps in W "
             "change the image equally; with --resume it overrides the checkpoint's")
          ->capture_default_str();
  sub.add_option("--aug", c.augment, "Adaptive augmentation of D's inputs: ada or none")->capture_default_str();
  sub.add_option("--ada-target", c.ada_target, "ADA target for E[sign(D(real))]")->capture_default_str();
  sub.add_option("--snap-kimg", opt->snap_kimg, "Checkpoint and sample grid every N kimg")->capture_default_str();
  sub.add_option("--grid", opt->grid, "Sample grid side (grid x grid images, seeds 0..)")->capture_default_str();
  CLI::Option* resume =
      sub.add_option("--resume", opt->resume,
                     "Continue from a checkpoint written by train (its settings win); 'latest': "
                     "the newest snapshot in --out, if any (a restarted run goes on)");
  CLI::Option* init =
      sub.add_option("--init", opt->init,
                     "Fine-tune a model file (its G_ema and D, e.g. models/default.safetensors): the network "
                     "shapes are the model's, the other settings the flags', optimisers and kimg start fresh")
          ->excludes(resume);
  for (CLI::Option* shape : shape_options) init->excludes(shape);
  sub.add_option("--seed", c.seed, "Seed of initialisation, data order and noise")->capture_default_str();
  sub.add_option("--max-minutes", opt->max_minutes, "Stop (with a checkpoint) after this many minutes; 0 = no limit")
      ->capture_default_str();
  opt->dist.add_to(sub);
  return [opt, &common] {
    RankSetup rank = join_group(opt->dist, common, /*tensors_on_device=*/true);
    return run_as_rank(rank, [&] { return run_train(*opt, rank.group.get(), rank.device); });
  };
}

const RegisterSubcommand kTrain{"train", "Train a StyleGAN2 generator on images (folder or IDX file)", 65, &setup_train};

}  // namespace
}  // namespace draggan::tools
