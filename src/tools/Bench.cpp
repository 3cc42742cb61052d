// `draggan bench`: how fast one drag step is, against the naive loop (the official one: a full synthesis every
// step) measured in the same process on the same generator, latent and points.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>

#include "BenchCommit.h"
#include "BenchInversion.h"
#include "RandomGenerator.h"
#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/Image.h"
#include "draggan/io/ModelFile.h"
#include "draggan/nn/stylegan2/StyleGAN2Model.h"
#include "draggan/nn/stylegan3/StyleGAN3Model.h"

namespace draggan::tools {
namespace {

struct BenchOptions {
  std::string model;
  int random_config = 0;  // a resolution: a randomly initialised generator of the official shape
  std::string random_family = "stylegan2";
  bool human = false;  // ... StyleGAN2 in StyleGAN-Human's 2:1 layout (256x128 / 512x256)
  int steps = 10;
  int warmup = 2;
  int handles = 2;
  bool skip_naive = false;
  bool with_image = false;
  bool json = false;
  std::string save_random;  // write the random generator (lively, with a D) there and stop
  bool inversion = false;
  InversionBenchOptions inversion_options;
  std::string store;  // also time committing each step's state to this session store
};

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Handles spread over the middle of the image, each dragged a quarter of the image to the right: far enough
// that no run stops early.
std::vector<DragPair> bench_pairs(int count, const ImageShape& shape) {
  std::vector<DragPair> pairs;
  for (int j = 0; j < count; ++j) {
    const double y = shape.height * (0.2 + 0.6 * (j + 0.5) / count);
    const double x = shape.width * 0.3;
    pairs.push_back({{std::round(x), std::round(y)}, {std::round(x + shape.width * 0.25), std::round(y)}});
  }
  return pairs;
}

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// ms of each measured step (after warm-up) of one drag. with_image: each step followed by the exact uint8 image
// of the updated latent, as the editor shows it (PNG encoding included), timed together.
std::vector<double> time_steps(const GeneratorPtr& g, const torch::Tensor& ws0, const DragParams& params,
                               const std::vector<DragPair>& pairs, int warmup, int steps, bool with_image = false) {
  DragSession session(g, ws0, params);
  session.set_pairs(pairs);
  std::vector<double> ms;
  for (int k = 0; k < warmup + steps; ++k) {
    const double started = now_ms();
    DragStepReport r = session.step();
    if (r.done) throw Error("bench: the drag reached its targets during the benchmark; use fewer steps");
    if (with_image) encode_png(session.image_uint8().cpu().contiguous());
    if (k >= warmup) ms.push_back(with_image ? now_ms() - started : r.ms);
  }
  return ms;
}

// ms per step, over `steps` steps after warm-up, of the editor's loop: each step's exact image rendered (and
// PNG-encoded) on a second thread while the next step runs.
double time_steps_overlapped(const GeneratorPtr& g, const torch::Tensor& ws0, const DragParams& params,
                             const std::vector<DragPair>& pairs, int warmup, int steps) {
  DragSession session(g, ws0, params);
  session.set_pairs(pairs);
  std::future<void> render;
  double started = now_ms();
  for (int k = 0; k < warmup + steps; ++k) {
    if (k == warmup) started = now_ms();
    if (session.step().done) throw Error("bench: the drag reached its targets during the benchmark; use fewer steps");
    if (render.valid()) render.get();
    render = std::async(std::launch::async, [g, ws = session.ws(), noise = params.noise] {
      torch::NoGradGuard no_grad;
      encode_png(image_to_uint8(g->synthesize(ws, noise)).cpu().contiguous());
    });
  }
  render.get();
  return (now_ms() - started) / steps;
}

int run_bench(const BenchOptions& opt, const CommonOptions& common) {
  if (opt.steps < 1 || opt.warmup < 0 || opt.handles < 1) throw InputError("bench: --steps and --handles must be >= 1");
  const torch::Device device = common.torch_device();
  InversionBenchOptions inversion_options = opt.inversion_options;
  inversion_options.json = opt.json;
  GeneratorPtr g;
  std::string source;
  if (opt.human && opt.random_family != "stylegan2")
    throw InputError("--human is StyleGAN2's 2:1 layout; it does not combine with --random-family " +
                     opt.random_family);
  if (opt.random_config && opt.random_family != "stylegan2") {
    if (opt.random_family != "stylegan3-t" && opt.random_family != "stylegan3-r")
      throw InputError("--random-family must be stylegan2, stylegan3-t or stylegan3-r");
    if (opt.random_config < 16 || opt.random_config > 1024)
      throw InputError("--random-config for StyleGAN3 must be a resolution in 16..1024");
    const bool radial = opt.random_family == "stylegan3-r";
    g = std::make_shared<StyleGAN3Model>(
        stylegan3::Generator(stylegan3::StyleGAN3Config::official(radial, opt.random_config)));
    g->module().to(device);
    source = "random " + std::to_string(opt.random_config) + "-px " + opt.random_family + " generator";
  } else if (opt.random_config) {
    // Inversion and saved files want images with structure and a D for the perceptual term; speed does not care.
    const bool lively = opt.inversion || !opt.save_random.empty();
    RandomModel random = random_stylegan2(opt.random_config, lively, lively, 0, device, opt.human);
    g = random.generator;
    source = std::string("random ") + (lively ? "lively " : "") + std::to_string(opt.random_config) + "-px " +
             (opt.human ? "StyleGAN-Human " : "") + "generator";
    if (!opt.save_random.empty()) {
      save_model(opt.save_random, *g, random.discriminator, random.discriminator_config.to_json());
      std::printf("wrote %s (%s, %.1f M parameters, with a discriminator)\n", opt.save_random.c_str(), source.c_str(),
                  g->parameter_count() / 1e6);
      return 0;
    }
    if (opt.inversion) {
      LoadedModel model;
      model.generator = g;
      model.discriminator = random.discriminator;
      model.discriminator_config = random.discriminator_config.to_json();
      model.path = source;
      return run_inversion_bench(model, source, inversion_options);
    }
  } else {
    source = opt.model.empty() ? default_model_path() : opt.model;
    if (!opt.save_random.empty()) throw InputError("--save-random needs --random-config");
    LoadedModel model = load_model(source, device);
    if (opt.inversion) return run_inversion_bench(model, source, inversion_options);
    g = model.generator;
  }
  const ImageShape shape = g->image_shape();
  const torch::Tensor ws0 = latent_from_seed(*g, 0, 0.7);
  const auto pairs = bench_pairs(opt.handles, shape);
  DragParams params;  // official defaults
  const ResolvedDragParams rp = resolve_drag_params(params, *g);
  log::info("bench: ", source, " (", g->family(), ", ", g->parameter_count() / 1e6, " M parameters), ", opt.handles,
            " handle(s), ", torch::get_num_threads(), " thread(s), feature layer ", rp.feature_layer, ", ",
            opt.warmup, " warm-up + ", opt.steps, " steps");

  const std::vector<double> fast = time_steps(g, ws0, params, pairs, opt.warmup, opt.steps);
  const double fast_rss = peak_rss_mb();
  std::vector<double> with_image;
  double overlapped_ms = 0.0;
  if (opt.with_image) {
    with_image = time_steps(g, ws0, params, pairs, opt.warmup, opt.steps, true);
    overlapped_ms = time_steps_overlapped(g, ws0, params, pairs, opt.warmup, opt.steps);
  }
  std::vector<double> naive;
  if (!opt.skip_naive) {
    DragParams naive_params = params;
    naive_params.naive_full_forward = true;
    naive = time_steps(g, ws0, naive_params, pairs, opt.warmup, opt.steps);
  }
  const double ms = median(fast), naive_ms = median(naive);

  nlohmann::json out{{"model", source},
                     {"family", g->family()},
                     {"img_resolution", shape.height},
                     {"height", shape.height},
                     {"width", shape.width},
                     {"parameters", g->parameter_count()},
                     {"threads", torch::get_num_threads()},
                     {"device", device.str()},
                     {"handles", opt.handles},
                     {"feature_block", rp.feature_block},
                     {"steps", opt.steps},
                     {"ms_per_step", ms},
                     {"steps_per_s", ms > 0 ? 1000.0 / ms : 0.0},
                     {"ms_all", fast},
                     {"peak_rss_mb", fast_rss}};
  if (!with_image.empty()) {
    const double image_ms = median(with_image);
    out["ms_per_step_with_image"] = image_ms;
    out["steps_per_s_with_image"] = image_ms > 0 ? 1000.0 / image_ms : 0.0;
    out["ms_all_with_image"] = with_image;
    out["ms_per_step_with_image_overlapped"] = overlapped_ms;
    out["steps_per_s_with_image_overlapped"] = overlapped_ms > 0 ? 1000.0 / overlapped_ms : 0.0;
  }
  if (!naive.empty()) {
    out["naive_ms_per_step"] = naive_ms;
    out["naive_steps_per_s"] = naive_ms > 0 ? 1000.0 / naive_ms : 0.0;
    out["naive_ms_all"] = naive;
    out["naive_peak_rss_mb"] = peak_rss_mb();
    out["speedup_vs_naive"] = ms > 0 ? naive_ms / ms : 0.0;
  }
  if (!opt.store.empty()) out["commit"] = bench_commit(g, ws0, params, pairs, opt.warmup, opt.steps, opt.store);
  if (opt.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("drag step:  %9.1f ms (median of %d)  %6.2f steps/s  peak RSS %.0f MB\n", ms, opt.steps,
                1000.0 / ms, fast_rss);
    if (!with_image.empty()) {
      std::printf("with image: %9.1f ms (step + exact image + PNG)  %6.2f steps/s\n", median(with_image),
                  1000.0 / median(with_image));
      std::printf("overlapped: %9.1f ms (the image on a second thread beside the next step)  %6.2f steps/s\n",
                  overlapped_ms, 1000.0 / overlapped_ms);
    }
    if (!naive.empty())
      std::printf("naive step: %9.1f ms (full synthesis every step)  ratio %.2fx\n", naive_ms, naive_ms / ms);
    if (out.contains("commit")) {
      const auto& c = out["commit"];
      std::printf("commit:     %9.2f ms encode + %.2f ms write of %.0f bytes per step = %.2f%% of the %.1f ms step\n",
                  c["encode_ms"].get<double>(), c["commit_ms"].get<double>(), c["checkpoint_bytes"].get<double>(),
                  100.0 * c["commit_share_of_step"].get<double>(), c["step_ms"].get<double>());
    }
  }
  return 0;
}

SubcommandRunner setup_bench(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<BenchOptions>();
  auto* model = sub.add_option("-m,--model", opt->model, "Checkpoint to benchmark; default: the shipped model");
  auto* random = sub.add_option("--random-config", opt->random_config,
                                "Benchmark a random generator of the official shape instead: its resolution "
                                "(StyleGAN2: 256, 512 or 1024)");
  model->excludes(random);
  sub.add_flag("--human", opt->human, "With --random-config: StyleGAN-Human's 2:1 layout (256x128 or 512x256)")
      ->needs(random);
  sub.add_option("--random-family", opt->random_family,
                 "Family of the random generator: stylegan2, stylegan3-t or stylegan3-r")
      ->capture_default_str();
  sub.add_option("--steps", opt->steps, "Measured steps per path (median reported)")->capture_default_str();
  sub.add_option("--warmup", opt->warmup, "Unmeasured steps first")->capture_default_str();
  sub.add_option("--handles", opt->handles, "Number of handle/target pairs")->capture_default_str();
  sub.add_flag("--skip-naive", opt->skip_naive, "Do not measure the naive full-forward path");
  sub.add_flag("--with-image", opt->with_image,
               "Also time each step followed by the exact full image of the new latent, as the editor shows it");
  sub.add_flag("--json", opt->json, "Print one JSON object");
  sub.add_option("--store", opt->store,
                 "Also time committing each step's drag state to this session store (redis://HOST:PORT[/DB]), as "
                 "`serve --store` does");
  sub.add_option("--save-random", opt->save_random,
                 "With --random-config: save that generator (biases and w_avg perturbed so its images have "
                 "structure, with a random discriminator) as a native .safetensors file, and stop");
  sub.add_flag("--inversion", opt->inversion,
               "Time the fast and the full inversion schedules on the generator's own image instead (PSNR/SSIM, "
               "wall time, peak RSS)");
  sub.add_option("--target-seed", opt->inversion_options.target_seed, "--inversion: seed of the target image")
      ->capture_default_str();
  sub.add_option("--target-psi", opt->inversion_options.target_psi, "--inversion: its truncation")
      ->capture_default_str();
  sub.add_option("--full-steps", opt->inversion_options.full_steps,
                 "--inversion: projection steps of the full schedule (fewer = a shortened run)")
      ->capture_default_str();
  sub.add_option("--full-pti-steps", opt->inversion_options.full_pti_steps,
                 "--inversion: tuning steps of the full schedule")
      ->capture_default_str();
  sub.add_flag("--skip-full", opt->inversion_options.skip_full, "--inversion: only the fast schedule");
  return [opt, &common] { return run_bench(*opt, common); };
}

const RegisterSubcommand kBench{"bench", "Time drag steps against the naive full-forward loop", 90, &setup_bench};

}  // namespace
}  // namespace draggan::tools
