// `draggan drag`: one drag from a shell, no UI: seed (or saved latent) + handle/target pairs (+ mask) ->
// the official DragGAN loop step by step -> final image, trajectory JSON, latent, animation.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "AiMarkOption.h"
#include "DragCliOptions.h"
#include "Subcommands.h"
#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/drag/DragMask.h"
#include "draggan/drag/DragOverlay.h"
#include "draggan/drag/DragSession.h"
#include "draggan/io/GifWriter.h"
#include "draggan/io/Image.h"
#include "draggan/io/PngWriter.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/ModelProvenance.h"
#include "draggan/io/Npy.h"
#include "draggan/provenance/Sha256.h"

namespace draggan::tools {
namespace {

struct DragOptions {
  std::string model;
  int64_t seed = 0;
  double psi = 0.7;
  std::string latent;
  std::vector<std::string> handles, targets;
  std::string mask;
  DragCliOptions drag;
  std::string out = "drag.png";
  std::string trajectory;
  std::string frames_dir;
  std::string video;
  int frame_ms = 100;
  int frame_every = 1;
  std::string w_out;
  AiMarkOption mark;
};

// "X,Y" (x = column, y = row, pixels).
DragPoint parse_point(const std::string& text, const char* option) {
  std::istringstream in(text);
  DragPoint p;
  char comma = 0;
  std::string rest;
  if (!(in >> p.x >> comma >> p.y) || comma != ',' || (in >> rest))
    throw InputError(std::string(option) + " '" + text + "': expected X,Y (x = column, y = row), e.g. 120,64");
  return p;
}

void ensure_parent(const std::string& path) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
}

torch::Tensor start_latent(const DragOptions& opt, LoadedModel& model, torch::Device device) {
  if (!opt.latent.empty()) return latent_from_npy(opt.latent, model.generator->latent_layout(), device);
  if (opt.seed < 0 || opt.seed > 0xffffffffLL) throw InputError("--seed must be in 0..2^32-1");
  return latent_from_seed(*model.generator, static_cast<uint32_t>(opt.seed), opt.psi);
}

torch::Tensor read_movable_mask(const std::string& path, const ImageShape& shape) {
  // The size from the header first: a mask is never decoded at any other size than the model's.
  const ImageInfo info = read_image_info(path);
  if (info.height != shape.height || info.width != shape.width)
    throw InputError("--mask " + path + ": the mask is " + std::to_string(info.width) + "x" +
                     std::to_string(info.height) + " but the model makes " + std::to_string(shape.width) + "x" +
                     std::to_string(shape.height) + " images");
  torch::Tensor painted = read_image(path, {std::max(shape.height, shape.width), int64_t{shape.height} * shape.width});
  return mask_from_movable_image(painted, shape.height, shape.width);
}

nlohmann::json xy_list(const std::vector<DragPoint>& points) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& p : points) list.push_back({p.x, p.y});
  return list;
}

std::vector<DragPoint> targets_of(const std::vector<DragPair>& pairs) {
  std::vector<DragPoint> t;
  for (const auto& p : pairs) t.push_back(p.target);
  return t;
}

// The record of the image after `steps` steps of this drag.
ImageProvenance after_steps(ImageProvenance record, int steps) {
  record.drags.back().steps = steps;
  return record;
}

bool ends_with_png(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".png" || ext == ".apng";
}

// Frames of the animation: PNG files in a folder, or one GIF or animated PNG. With --ai-mark, a small model's frames are
// enlarged before the points are drawn (so they stay round) and marked last (so the mark stays readable).
class FrameSink {
 public:
  FrameSink(const DragOptions& opt, const ImageShape& shape)
      : dir_(opt.frames_dir),
        video_(opt.video),
        frame_ms_(opt.frame_ms),
        mark_(opt.mark),
        scale_(opt.mark.enabled ? generated_mark_enlargement(shape.height, shape.width) : 1) {
    if (!dir_.empty()) std::filesystem::create_directories(dir_);
    if (!video_.empty()) {
      ensure_parent(video_);
      if (ends_with_png(video_)) apng_ = std::make_unique<AnimatedPngWriter>();
      else gif_ = std::make_unique<GifWriter>(video_, shape.width * scale_, shape.height * scale_, frame_ms_);
    }
  }
  bool wanted() const { return !dir_.empty() || gif_ || apng_; }
  void add(const torch::Tensor& image, const std::vector<DragPair>& pairs, const ImageProvenance& record) {
    std::vector<DragPair> shown = pairs;
    for (auto& p : shown)  // a pixel's centre moves with it when the image is enlarged
      for (DragPoint* q : {&p.handle, &p.target}) *q = {(q->x + 0.5) * scale_ - 0.5, (q->y + 0.5) * scale_ - 0.5};
    // A gray model's frames become RGB: the points are drawn in colour.
    const torch::Tensor rgb = image.size(2) == 1 ? image.expand({-1, -1, 3}).contiguous() : image;
    const torch::Tensor frame = mark_.apply(draw_drag_overlay(enlarge_nearest(rgb, scale_), shown));
    if (!dir_.empty()) {
      std::ostringstream name;
      name << "frame_" << std::setw(4) << std::setfill('0') << count_ << ".png";
      write_png((std::filesystem::path(dir_) / name.str()).string(), frame, &record);
    }
    if (gif_) gif_->add_frame(frame);
    if (apng_) apng_->add_frame(frame, frame_ms_);
    ++count_;
  }
  void close(const ImageProvenance& record) {
    if (gif_) {
      gif_->set_provenance(record);
      gif_->close();
    }
    if (apng_) {
      apng_->set_provenance(record);
      write_file(video_, apng_->finish());
    }
  }

 private:
  std::string dir_;
  std::string video_;
  int frame_ms_;
  AiMarkOption mark_;
  int scale_;
  std::unique_ptr<GifWriter> gif_;
  std::unique_ptr<AnimatedPngWriter> apng_;
  int count_ = 0;
};

int run_drag(DragOptions opt, const CommonOptions& common) {
  // Cheap checks first, so a typo does not wait for the model to load.
  if (opt.handles.empty()) throw InputError("drag: give at least one --handle X,Y and --target X,Y pair");
  if (opt.handles.size() != opt.targets.size())
    throw InputError("drag: " + std::to_string(opt.handles.size()) + " --handle but " +
                     std::to_string(opt.targets.size()) + " --target: give them in pairs");
  std::vector<DragPair> pairs;
  for (size_t i = 0; i < opt.handles.size(); ++i)
    pairs.push_back({parse_point(opt.handles[i], "--handle"), parse_point(opt.targets[i], "--target")});

  const torch::Device device = common.torch_device();
  const std::string model_path = opt.model.empty() ? default_model_path() : opt.model;
  LoadedModel model = load_model(model_path, device);
  const ImageShape shape = model.generator->image_shape();
  const DragSettings settings = opt.drag.resolve(model);
  const DragParams& params = settings.params;
  const LatentSpace space = settings.space;
  const int max_steps = *settings.max_steps;

  DragSession session(model.generator, start_latent(opt, model, device), params, space);
  session.set_pairs(pairs);
  if (!opt.mask.empty()) session.set_mask(read_movable_mask(opt.mask, shape));
  const ResolvedDragParams& rp = session.resolved();
  log::info("drag: ", model.generator->family(), " ", shape.width, "x", shape.height, ", ", pairs.size(),
            " pair(s), ", to_string(space), ", feature layer ", rp.feature_block, " (", rp.feature_layer, "), r1 ",
            rp.r1_pixels, " px, r2 ", rp.r2_pixels, " px, lr ", params.lr, ", ",
            rp.optimized_layers - rp.first_optimized_layer, " layer(s) from ws row ", rp.first_optimized_layer,
            ", stop at ", rp.stop_distance, " px or ", max_steps, " steps");

  ImageProvenance record = image_provenance_of(model);
  if (!opt.latent.empty()) {
    record.latent_sha256 = file_sha256_hex(opt.latent);
  } else {
    record.seed = static_cast<uint32_t>(opt.seed);
    record.psi = opt.psi;
  }
  DragEdit edit;
  for (const auto& p : pairs) edit.points.push_back({p.handle.x, p.handle.y, p.target.x, p.target.y});
  edit.masked = !opt.mask.empty();
  record.drags.push_back(edit);

  FrameSink frames(opt, shape);
  nlohmann::json steps = nlohmann::json::array();
  bool done = false;
  double total_ms = 0.0;
  for (int k = 0; k < max_steps && !done; ++k) {
    // The frame of step k is the image its tracking saw (the official loop shows the image from before its step).
    const bool keep_frame = frames.wanted() && k % opt.frame_every == 0;
    torch::Tensor frame = keep_frame ? session.image_uint8() : torch::Tensor();
    DragStepReport r = session.step();
    done = r.done;
    total_ms += r.ms;
    steps.push_back({{"step", r.step},
                     {"handles", xy_list(r.handles)},
                     {"distances", r.distances},
                     {"loss", r.loss},
                     {"done", r.done},
                     {"ms", r.ms}});
    if (keep_frame) frames.add(frame, session.pairs(), after_steps(record, k));
    log::debug("step ", r.step, ": loss ", r.loss, ", ", r.ms, " ms", r.done ? " (done)" : "");
  }
  torch::Tensor final_image = session.image_uint8();
  const ImageProvenance final_record = after_steps(record, static_cast<int>(steps.size()));
  if (frames.wanted()) frames.add(final_image, session.pairs(), final_record);
  frames.close(final_record);

  ensure_parent(opt.out);
  write_png(opt.out, opt.mark.apply(final_image), &final_record);
  std::string w_out = opt.w_out;
  if (w_out.empty() && !opt.trajectory.empty())
    w_out = (std::filesystem::path(opt.trajectory).replace_extension("").string()) + "_w.npy";
  if (!w_out.empty()) {
    ensure_parent(w_out);
    write_npy(w_out, session.ws().cpu());
  }
  if (!opt.trajectory.empty()) {
    std::vector<DragPoint> start;
    for (const auto& p : pairs) start.push_back(p.handle);
    nlohmann::json doc{{"model", model_path},
                       {"seed", opt.latent.empty() ? nlohmann::json(opt.seed) : nlohmann::json(nullptr)},
                       {"psi", opt.psi},
                       {"latent_in", opt.latent.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.latent)},
                       {"space", to_string(space)},
                       {"lr", params.lr},
                       {"optimized_layers", rp.optimized_layers},
                       {"first_optimized_layer", rp.first_optimized_layer},
                       {"feature_block", rp.feature_block},
                       {"r1_pixels", rp.r1_pixels},
                       {"r2_pixels", rp.r2_pixels},
                       {"stop_distance", rp.stop_distance},
                       {"reg", params.reg},
                       {"reg_l2", params.reg_l2},
                       {"max_steps", max_steps},
                       {"mask", opt.mask.empty() ? nlohmann::json(nullptr) : nlohmann::json(opt.mask)},
                       {"handles_start", xy_list(start)},
                       {"targets", xy_list(targets_of(pairs))},
                       {"steps", steps},
                       {"done", done},
                       {"image", opt.out},
                       {"latent", w_out}};
    ensure_parent(opt.trajectory);
    std::ofstream f(opt.trajectory);
    f << doc.dump(1) << '\n';
    if (!f) throw InputError(opt.trajectory + ": write failed");
  }
  const size_t n = steps.size();
  log::info("drag: ", n, " step(s)", done ? " (all handles reached their targets)" : "", ", ",
            n ? total_ms / static_cast<double>(n) : 0.0, " ms/step; wrote ", opt.out);
  return 0;
}

SubcommandRunner setup_drag(CLI::App& sub, CommonOptions& common) {
  auto opt = std::make_shared<DragOptions>();
  sub.add_option("-m,--model", opt->model, "Checkpoint (.pkl or .safetensors); default: the shipped model");
  sub.add_option("-s,--seed", opt->seed, "Seed of the start image (z = NumPy RandomState(seed).randn)")
      ->capture_default_str();
  sub.add_option("--psi", opt->psi, "Truncation psi of the start latent")->capture_default_str();
  sub.add_option("--latent", opt->latent, "Start from a saved latent (.npy W+ [1, num_ws, w_dim] or W) instead of --seed");
  sub.add_option("--handle", opt->handles, "Handle point X,Y in pixels (x = column, y = row); repeat per pair");
  sub.add_option("--target", opt->targets, "Target point X,Y for the handle of the same position; repeat per pair");
  sub.add_option("--mask", opt->mask, "Painted mask image (PNG of the image size): bright = may move, dark = keep");
  opt->drag.add_to(sub, 100);
  sub.add_option("-o,--out", opt->out, "Final image (PNG)")->capture_default_str();
  sub.add_option("--trajectory", opt->trajectory, "Write the per-step trajectory as JSON");
  auto* frames = sub.add_option("--frames", opt->frames_dir, "Write one annotated PNG per step into this folder");
  auto* video = sub.add_option("--video", opt->video,
                               "Write an annotated animation of the drag: a GIF, or an animated PNG (full colour, "
                               "smaller) when the name ends in .png");
  frames->excludes(video);
  sub.add_option("--frame-ms", opt->frame_ms, "Animation frame duration, ms")->capture_default_str();
  sub.add_option("--frame-every", opt->frame_every,
                 "Animation: one frame every N steps (the start and the result always), for long drags")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sub.add_option("--w-out", opt->w_out, "Save the final latent W+ [1, num_ws, w_dim] as .npy");
  opt->mark.add_to(sub);
  return [opt, &common] { return run_drag(*opt, common); };
}

const RegisterSubcommand kDrag{"drag", "Drag handle points to targets on a generated image (no UI)", 40, &setup_drag};

}  // namespace
}  // namespace draggan::tools
