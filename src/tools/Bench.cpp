// `draggan bench`: how fast one drag step is, against the naive loop (the official one: a full synthesis every
// step) measured in the same process on the same generator, latent and points.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/drag/DragSession.h"
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
  bool json = false;
};

// The official shapes: stylegan2 256-px configs (channel_base 16384, 24.8 M parameters) and ffhq 512; with
// `human`, the same networks with StyleGAN-Human's 2:1 maps (the weights are the same, the maps half as wide).
GeneratorConfig official_shape(int resolution, bool human) {
  if (resolution != 256 && resolution != 512) throw InputError("--random-config must be 256 or 512");
  GeneratorConfig c;
  c.z_dim = c.w_dim = 512;
  c.mapping_layers = 8;
  c.img_resolution = resolution;
  c.channel_base = resolution == 256 ? 16384 : 32768;
  c.channel_max = 512;
  c.conv_clamp = 256.0;
  c.square = !human;
  if (human) c.w_avg_beta = 0.995;
  return c;
}

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

// ms of each measured step (after warm-up) of one drag.
std::vector<double> time_steps(const GeneratorPtr& g, const torch::Tensor& ws0, const DragParams& params,
                               const std::vector<DragPair>& pairs, int warmup, int steps) {
  DragSession session(g, ws0, params);
  session.set_pairs(pairs);
  std::vector<double> ms;
  for (int k = 0; k < warmup + steps; ++k) {
    DragStepReport r = session.step();
    if (r.done) throw Error("bench: the drag reached its targets during the benchmark; use fewer steps");
    if (k >= warmup) ms.push_back(r.ms);
  }
  return ms;
}

int run_bench(const BenchOptions& opt, const CommonOptions& common) {
  if (opt.steps < 1 || opt.warmup < 0 || opt.handles < 1) throw InputError("bench: --steps and --handles must be >= 1");
  const torch::Device device = common.torch_device();
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
    Generator network(official_shape(opt.random_config, opt.human));
    network->to(device);
    network->eval();
    for (auto& p : network->parameters()) p.requires_grad_(false);
    g = std::make_shared<StyleGAN2Model>(network);
    source = "random " + std::to_string(opt.random_config) + "-px " + (opt.human ? "StyleGAN-Human " : "") +
             "generator";
  } else {
    source = opt.model.empty() ? default_model_path() : opt.model;
    g = load_model(source, device).generator;
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
  if (!naive.empty()) {
    out["naive_ms_per_step"] = naive_ms;
    out["naive_steps_per_s"] = naive_ms > 0 ? 1000.0 / naive_ms : 0.0;
    out["naive_ms_all"] = naive;
    out["naive_peak_rss_mb"] = peak_rss_mb();
    out["speedup_vs_naive"] = ms > 0 ? naive_ms / ms : 0.0;
  }
  if (opt.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("drag step:  %9.1f ms (median of %d)  %6.2f steps/s  peak RSS %.0f MB\n", ms, opt.steps,
                1000.0 / ms, fast_rss);
    if (!naive.empty())
      std::printf("naive step: %9.1f ms (full synthesis every step)  ratio %.2fx\n", naive_ms, naive_ms / ms);
  }
  return 0;
}

SubcommandRunner setup_bench(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<BenchOptions>();
  auto* model = sub.add_option("-m,--model", opt->model, "Checkpoint to benchmark; default: the shipped model");
  auto* random = sub.add_option("--random-config", opt->random_config,
                                "Benchmark a random generator of the official shape instead: its resolution "
                                "(StyleGAN2: 256 or 512)");
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
  sub.add_flag("--json", opt->json, "Print one JSON object");
  return [opt, &common] { return run_bench(*opt, common); };
}

const RegisterSubcommand kBench{"bench", "Time drag steps against the naive full-forward loop", 90, &setup_bench};

}  // namespace
}  // namespace draggan::tools
