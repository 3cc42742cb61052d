// `draggan bench --inversion`: how close the fast and the full inversion schedules get to a generator's own
// image, and how long each takes, in one process on the same target. The full schedule is the reference one
// (1000 + 350 steps, about an hour at 256 px on two cores); --full-steps / --full-pti-steps run it shortened
// (its learning-rate and noise ramps scale with the step count), which the table says.
#include "BenchInversion.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/invert/ImageInversion.h"
#include "draggan/invert/ImageMetrics.h"
#include "draggan/io/Image.h"

namespace draggan::tools {
namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Peak resident memory since the last reset_peak_rss(), MB (Linux VmHWM).
double peak_rss_since_reset_mb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0.0;
}

void reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";  // resets VmHWM to the current RSS
}

// Mean PSNR between the tuned and the original generator's images of other latents: how much PTI disturbed
// the rest of the latent space (higher is better; infinity when nothing moved).
double locality_psnr(GeneratorModel& original, GeneratorModel& tuned, int z_dim) {
  torch::NoGradGuard no_grad;
  double sum = 0.0;
  int count = 0;
  for (uint32_t seed : {11u, 12u, 13u}) {
    const torch::Tensor ws = original.map(z_from_seed(seed, z_dim).to(original.device(), torch::kFloat32), {}, 0.7);
    const double p = psnr(image_to_uint8(tuned.synthesize(ws)), image_to_uint8(original.synthesize(ws)));
    if (std::isinf(p)) return p;
    sum += p;
    ++count;
  }
  return sum / count;
}

nlohmann::json run_schedule(LoadedModel& model, const torch::Tensor& photo, InversionOptions options,
                            const std::string& name) {
  // Time each stage from the progress callbacks: the first PTI step ends the projection.
  const double started = now_s();
  double projection_end = 0.0;
  InversionCallbacks callbacks;
  callbacks.on_step = [&](const InversionProgress& p) {
    if (p.stage == InversionStage::Projection) projection_end = now_s();
  };
  reset_peak_rss();
  InversionResult result = invert_image(model, photo, options, callbacks);
  const double total = now_s() - started;
  const int projection_steps =
      options.schedule == InversionSchedule::Fast ? options.fast.total_steps() : options.projection.steps;
  nlohmann::json out{{"schedule", name},
                     {"projection_steps", projection_steps},
                     {"pti_steps", options.pti.steps},
                     {"perceptual", result.perceptual},
                     {"projection_s", projection_end - started},
                     {"total_s", total},
                     {"psnr_projected", result.projected.psnr},
                     {"ssim_projected", result.projected.ssim},
                     {"peak_rss_mb", peak_rss_since_reset_mb()}};
  if (result.tuned) {
    out["psnr_tuned"] = result.tuned->psnr;
    out["ssim_tuned"] = result.tuned->ssim;
    out["other_latents_psnr"] = locality_psnr(*model.generator, *result.generator, model.generator->latent_layout().z_dim);
  }
  return out;
}

}  // namespace

int run_inversion_bench(LoadedModel& model, const std::string& source, const InversionBenchOptions& opt) {
  GeneratorModel& g = *model.generator;
  const LatentLayout layout = g.latent_layout();
  torch::Tensor photo;
  {
    // The generator's own image (psi 1, as `draggan generate` makes it) of a seed no schedule starts from.
    torch::NoGradGuard no_grad;
    const torch::Tensor z = z_from_seed(opt.target_seed, layout.z_dim).to(g.device(), torch::kFloat32);
    photo = image_to_uint8(g.synthesize(g.map(z, {}, opt.target_psi))).cpu();
  }
  log::info("bench --inversion: ", source, ", target seed ", opt.target_seed, " psi ", opt.target_psi, ", ",
            torch::get_num_threads(), " thread(s)");

  const int height = g.image_shape().height;
  nlohmann::json runs = nlohmann::json::array();
  InversionOptions fast;
  fast.schedule = InversionSchedule::Fast;
  fast.pti = fast_tuning_options(height);
  runs.push_back(run_schedule(model, photo, fast, "fast"));
  if (!opt.skip_full) {
    InversionOptions full;
    full.schedule = InversionSchedule::Full;
    full.projection.steps = opt.full_steps;
    full.pti.steps = opt.full_pti_steps;
    const bool shortened = opt.full_steps != 1000 || opt.full_pti_steps != 350;
    runs.push_back(run_schedule(model, photo, full, shortened ? "full (shortened)" : "full"));
  }

  nlohmann::json out{{"model", source},
                     {"family", g.family()},
                     {"height", height},
                     {"width", g.image_shape().width},
                     {"parameters", g.parameter_count()},
                     {"threads", torch::get_num_threads()},
                     {"target_seed", opt.target_seed},
                     {"target_psi", opt.target_psi},
                     {"runs", runs}};
  if (opt.json) {
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%-18s %7s %5s %10s %8s %9s %9s %9s %9s %10s %8s\n", "schedule", "steps", "pti", "project s", "total s",
              "PSNR proj", "SSIM proj", "PSNR pti", "SSIM pti", "others dB", "RSS MB");
  for (const auto& r : runs) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    std::printf("%-18s %7d %5d %10.1f %8.1f %9.2f %9.4f %9.2f %9.4f %10.2f %8.0f\n",
                r["schedule"].get<std::string>().c_str(), r["projection_steps"].get<int>(), r["pti_steps"].get<int>(),
                r["projection_s"].get<double>(), r["total_s"].get<double>(), r["psnr_projected"].get<double>(),
                r["ssim_projected"].get<double>(), r.value("psnr_tuned", nan), r.value("ssim_tuned", nan),
                r.value("other_latents_psnr", nan), r["peak_rss_mb"].get<double>());
  }
  return 0;
}

}  // namespace draggan::tools
