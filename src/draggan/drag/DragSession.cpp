#include "draggan/drag/DragSession.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "draggan/core/Error.h"
#include "draggan/core/NumpyRandom.h"
#include "draggan/drag/DragMask.h"
#include "draggan/drag/LatentArray.h"
#include "draggan/drag/MotionSupervision.h"
#include "draggan/drag/PointTracker.h"
#include "draggan/io/Image.h"
#include "draggan/io/Npy.h"
#include "draggan/model/FeatureWindow.h"

namespace draggan {

using torch::indexing::Slice;

torch::Tensor latent_from_seed(GeneratorModel& generator, uint32_t seed, double psi) {
  const LatentLayout layout = generator.latent_layout();
  const torch::Device device = generator.device();
  torch::NoGradGuard no_grad;
  torch::Tensor z = z_from_seed(seed, layout.z_dim).to(device);
  // The official renderer passes an all-zero label (it has no class picker).
  torch::Tensor c =
      layout.c_dim > 0 ? torch::zeros({1, layout.c_dim}, torch::TensorOptions(device)) : torch::Tensor();
  return generator.map(z, c, psi).to(torch::kFloat32);
}

torch::Tensor latent_from_npy(const std::string& path, const LatentLayout& layout, torch::Device device) {
  return latent_from_tensor(read_npy(path), layout, device, path);
}

namespace {

// Whole pixels, as the official tracking returns them; Python's round() for a fractional start point.
DragPoint whole_pixel(DragPoint p) {
  return {static_cast<double>(python_round(p.x)), static_cast<double>(python_round(p.y))};
}

}  // namespace

DragSession::DragSession(GeneratorPtr generator, const torch::Tensor& ws0, DragParams params, LatentSpace space)
    : generator_(std::move(generator)), params_(params), space_(space), device_(torch::kCPU) {
  if (!generator_) throw InputError("drag: no generator");
  device_ = generator_->device();
  shape_ = generator_->image_shape();
  resolved_ = resolve_drag_params(params_, *generator_);
  set_start_latent(ws0);
}

void DragSession::set_start_latent(const torch::Tensor& ws0) {
  const LatentLayout layout = generator_->latent_layout();
  if (!ws0.defined() || ws0.dim() != 3 || ws0.size(0) != 1 || ws0.size(1) != layout.num_ws ||
      ws0.size(2) != layout.w_dim)
    throw InputError("drag: start latent must be [1, " + std::to_string(layout.num_ws) + ", " +
                     std::to_string(layout.w_dim) + "], got " + (ws0.defined() ? c10::str(ws0.sizes()) : "none"));
  if (!torch::isfinite(ws0).all().item<bool>()) throw InputError("drag: start latent contains NaN or infinity");
  ws0_ = ws0.detach().to(device_, torch::kFloat32).clone();
  reset();
}

void DragSession::rebuild_optimizer() {
  torch::NoGradGuard no_grad;
  const int first = resolved_.first_optimized_layer, end = resolved_.optimized_layers;
  // The official loop optimises the whole W+ tensor but feeds cat(w[:, :6], w0[:, 6:]) to the synthesis: the
  // other rows get zero gradients, which Adam leaves at exactly zero updates, so optimising only the first rows
  // gives the same result with less work.
  torch::Tensor start = space_ == LatentSpace::WPlus ? ws0_.slice(1, first, end) : ws0_.select(1, first);
  w_opt_ = start.clone().set_requires_grad(true);
  optimizer_ = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{w_opt_},
                                                    torch::optim::AdamOptions(params_.lr));
}

void DragSession::reset() {
  rebuild_optimizer();
  for (size_t i = 0; i < pairs_.size() && i < handles_as_set_.size(); ++i) pairs_[i].handle = handles_as_set_[i];
  feature_refs_.assign(pairs_.size(), torch::Tensor());
  feat0_ws_ = torch::Tensor();
  feat0_resized_ = torch::Tensor();
  last_partial_image_ = torch::Tensor();
  cached_image_ = torch::Tensor();
  steps_taken_ = 0;
}

torch::Tensor DragSession::synthesis_ws() const {
  const int first = resolved_.first_optimized_layer, end = resolved_.optimized_layers;
  torch::Tensor moved = space_ == LatentSpace::WPlus ? w_opt_ : w_opt_.unsqueeze(1).expand({1, end - first, -1});
  std::vector<torch::Tensor> rows;
  if (first > 0) rows.push_back(ws0_.slice(1, 0, first));
  rows.push_back(moved);
  if (end < ws0_.size(1)) rows.push_back(ws0_.slice(1, end));
  return rows.size() == 1 ? moved : torch::cat(rows, 1);
}

torch::Tensor DragSession::ws() const { return synthesis_ws().detach().clone(); }

// --- Points ---------------------------------------------------------------------------------------------------

void DragSession::check_point(const DragPoint& p, const char* what) const {
  if (!std::isfinite(p.x) || !std::isfinite(p.y))
    throw InputError(std::string("drag: ") + what + " has a non-finite coordinate");
  // Pixel centres 0..w-1 / 0..h-1, each covering +-0.5. Where the canvas is larger than the image (StyleGAN-Human)
  // points may lie on it outside the image, as tracking may move a handle there (the official canvas).
  const FeatureCanvas& canvas = resolved_.canvas;
  const double x0 = -canvas.image_left, y0 = -canvas.image_top;
  if (p.x < x0 - 0.5 || p.x >= x0 + canvas.width - 0.5 || p.y < y0 - 0.5 || p.y >= y0 + canvas.height - 0.5) {
    std::string where = "the " + std::to_string(shape_.width) + "x" + std::to_string(shape_.height) +
                        " image (width x height)";
    if (canvas.width != shape_.width || canvas.height != shape_.height)
      where += " and its " + std::to_string(canvas.width) + "x" + std::to_string(canvas.height) + " canvas (x " +
               std::to_string(static_cast<int>(x0)) + ".." + std::to_string(static_cast<int>(x0) + canvas.width - 1) +
               ")";
    throw InputError(std::string("drag: ") + what + " (x " + std::to_string(p.x) + ", y " + std::to_string(p.y) +
                     ") is outside " + where);
  }
}

void DragSession::check_index(int index) const {
  if (index < 0 || index >= static_cast<int>(pairs_.size()))
    throw InputError("drag: no pair " + std::to_string(index) + " (there are " + std::to_string(pairs_.size()) +
                     ")");
}

void DragSession::forget_references() {
  // The official renderer retakes every reference (and the mask's start features) from the current latent
  // when the number of points changes; doing the same keeps a session that adds points mid-drag official.
  feature_refs_.assign(pairs_.size(), torch::Tensor());
  feat0_ws_ = torch::Tensor();
  feat0_resized_ = torch::Tensor();
}

int DragSession::add_pair(DragPoint handle, DragPoint target) {
  check_point(handle, "handle");
  check_point(target, "target");
  pairs_.push_back({whole_pixel(handle), target});
  handles_as_set_.push_back(pairs_.back().handle);
  forget_references();
  return static_cast<int>(pairs_.size()) - 1;
}

void DragSession::remove_pair(int index) {
  check_index(index);
  pairs_.erase(pairs_.begin() + index);
  handles_as_set_.erase(handles_as_set_.begin() + index);
  forget_references();
}

void DragSession::clear_pairs() {
  pairs_.clear();
  handles_as_set_.clear();
  forget_references();
}

void DragSession::set_pairs(const std::vector<DragPair>& pairs) {
  for (const auto& p : pairs) {
    check_point(p.handle, "handle");
    check_point(p.target, "target");
  }
  pairs_.clear();
  handles_as_set_.clear();
  for (const auto& p : pairs) {
    pairs_.push_back({whole_pixel(p.handle), p.target});
    handles_as_set_.push_back(pairs_.back().handle);
  }
  forget_references();
}

void DragSession::set_handle(int index, DragPoint handle) {
  check_index(index);
  check_point(handle, "handle");
  pairs_[index].handle = whole_pixel(handle);
  handles_as_set_[index] = pairs_[index].handle;
  feature_refs_[index] = torch::Tensor();
}

void DragSession::set_target(int index, DragPoint target) {
  check_index(index);
  check_point(target, "target");
  pairs_[index].target = target;
}

// --- Mask and parameters --------------------------------------------------------------------------------------

void DragSession::set_mask(const torch::Tensor& mask) {
  torch::Tensor on_image = prepare_drag_mask(mask, shape_.height, shape_.width);
  const FeatureCanvas& canvas = resolved_.canvas;
  if (canvas.height != shape_.height || canvas.width != shape_.width) {
    // Outside the image nothing can be painted: it stays fixed, as the unpainted part of the official canvas.
    torch::Tensor padded = torch::ones({1, 1, canvas.height, canvas.width}, on_image.options());
    padded.slice(2, canvas.image_top, canvas.image_top + shape_.height)
        .slice(3, canvas.image_left, canvas.image_left + shape_.width)
        .copy_(on_image);
    on_image = padded;
  }
  mask_ = on_image.to(device_);
  mask_active_ = mask_term_active(mask_);
}

void DragSession::clear_mask() {
  mask_ = torch::Tensor();
  mask_active_ = false;
}

void DragSession::set_params(const DragParams& params) {
  ResolvedDragParams resolved = resolve_drag_params(params, *generator_);
  const bool new_block = resolved.feature_block != resolved_.feature_block;
  const bool new_layers = resolved.optimized_layers != resolved_.optimized_layers ||
                          resolved.first_optimized_layer != resolved_.first_optimized_layer;
  torch::Tensor current = new_layers ? ws() : torch::Tensor();
  params_ = params;
  resolved_ = resolved;
  if (new_layers) {
    // Keep the edit so far: the rows that stop being optimised keep their current values.
    ws0_ = current;
    rebuild_optimizer();
  } else {
    for (auto& group : optimizer_->param_groups())
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(params_.lr);
  }
  if (new_block) forget_references();
  cached_image_ = torch::Tensor();  // the noise mode may have changed
}

// --- The step -------------------------------------------------------------------------------------------------

std::vector<PixelBox> DragSession::pair_boxes() const {
  // A step reads the tracking window around each handle and, around the tracked point (at most r2 away), the
  // motion disc (r1 on the official grid, which reaches one pixel further) plus the pixel its samples blend in.
  const int64_t reach = resolved_.r2_pixels + resolved_.r1_pixels + 3;
  std::vector<PixelBox> boxes;
  for (const auto& pair : pairs_) {
    const int64_t y = canvas_row(pair.handle.y), x = canvas_col(pair.handle.x);
    boxes.push_back({y - reach, x - reach, y + reach, x + reach});
  }
  return boxes;
}

std::vector<FeatureWindow> DragSession::supervised_windows(const torch::Tensor& ws) {
  FeatureRequest request;
  request.layer = resolved_.feature_block;
  request.noise = params_.noise;
  request.full_forward = params_.naive_full_forward;
  // The mask term reads the whole map and is a small difference of two large maps, so it keeps the official
  // arithmetic (parity within 1e-4); so does the naive baseline, which stands for the official loop.
  request.official_arithmetic = mask_active_ || params_.naive_full_forward;
  const bool whole_map = mask_active_ || params_.naive_full_forward || !params_.windowed_synthesis;
  if (!whole_map) request.boxes = pair_boxes();
  FeatureResult result = generator_->features(ws, request);
  last_partial_image_ = result.preview.defined() ? result.preview.detach() : torch::Tensor();
  if (result.windows.size() == 1 && pairs_.size() > 1) result.windows.resize(pairs_.size(), result.windows[0]);
  return result.windows;
}

torch::Tensor DragSession::start_features_resized() {
  if (feat0_resized_.defined()) return feat0_resized_;
  torch::NoGradGuard no_grad;
  FeatureRequest request;
  request.layer = resolved_.feature_block;
  request.noise = params_.noise;
  request.official_arithmetic = true;  // as the masked steps it is compared with
  feat0_resized_ = generator_->features(feat0_ws_, request).windows.front().features;
  return feat0_resized_;
}

DragStepReport DragSession::step() {
  if (pairs_.empty()) throw InputError("drag: no handle/target pairs to drag");
  const auto start = std::chrono::steady_clock::now();
  DragStepReport report;
  report.step = steps_taken_;

  const torch::Tensor ws = synthesis_ws();
  const std::vector<FeatureWindow> windows = supervised_windows(ws);

  {
    torch::NoGradGuard no_grad;
    // The official loop keeps the start features (for the mask) and each handle's reference feature from the
    // pass that first sees the current set of points.
    if (!feat0_ws_.defined()) {
      feat0_ws_ = ws.detach().clone();
      feat0_resized_ = torch::Tensor();
    }
    for (size_t j = 0; j < pairs_.size(); ++j) {
      if (feature_refs_[j].defined()) continue;
      const FeatureWindow& w = windows[j];
      const int64_t y = canvas_row(pairs_[j].handle.y), x = canvas_col(pairs_[j].handle.x);
      feature_refs_[j] = w.features.index({0, Slice(), y - w.top, x - w.left}).detach().clone();
    }
    // Tracking: each handle moves to its best match in the window around it, on this pass's features. The
    // window is clipped to the canvas, so on a padded canvas a handle may leave the image (as officially).
    for (size_t j = 0; j < pairs_.size(); ++j) {
      const FeatureWindow& w = windows[j];
      DragPoint& h = pairs_[j].handle;
      TrackResult t = track_point(w.features, feature_refs_[j], static_cast<int>(canvas_row(h.y) - w.top),
                                  static_cast<int>(canvas_col(h.x) - w.left), resolved_.r2_pixels);
      h = {static_cast<double>(t.col + w.left - resolved_.canvas.image_left),
           static_cast<double>(t.row + w.top - resolved_.canvas.image_top)};
    }
  }

  torch::Tensor loss;
  auto add = [&loss](const torch::Tensor& term) { loss = loss.defined() ? loss + term : term; };
  bool done = true;
  const auto stop = static_cast<float>(resolved_.stop_distance);
  const double top = resolved_.canvas.image_top, left = resolved_.canvas.image_left;
  for (size_t j = 0; j < pairs_.size(); ++j) {
    const DragPair& pair = pairs_[j];
    const auto row = static_cast<int>(canvas_row(pair.handle.y)), col = static_cast<int>(canvas_col(pair.handle.x));
    const double target_row = pair.target.y + top, target_col = pair.target.x + left;
    const float distance = handle_distance(row, col, target_row, target_col);
    report.handles.push_back(pair.handle);
    report.distances.push_back(distance);
    if (distance > stop) done = false;
    torch::Tensor term = motion_loss_term(windows[j], row, col, target_row, target_col, resolved_.r1_pixels,
                                          params_.exact_pixel_grid);
    if (term.defined()) add(term);
  }
  if (mask_active_) {
    add(params_.lambda_mask * mask_loss_term(windows.front().features, start_features_resized(), mask_));
  }
  if (params_.reg != 0.0) add(params_.reg * torch::l1_loss(synthesis_ws(), ws0_));
  if (params_.reg_l2 != 0.0) add(params_.reg_l2 * torch::mse_loss(synthesis_ws(), ws0_));

  report.loss = loss.defined() ? loss.item<double>() : 0.0;
  report.done = done;
  if (!done && loss.defined() && loss.requires_grad()) {
    optimizer_->zero_grad();
    loss.backward();
    optimizer_->step();
    ++steps_taken_;
    cached_image_ = torch::Tensor();
  }
  report.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return report;
}

// --- Outputs --------------------------------------------------------------------------------------------------

torch::Tensor DragSession::image() {
  if (cached_image_.defined()) return cached_image_;
  torch::NoGradGuard no_grad;
  cached_image_ = generator_->synthesize(synthesis_ws(), params_.noise);
  return cached_image_;
}

torch::Tensor DragSession::image_uint8() {
  torch::NoGradGuard no_grad;
  return image_to_uint8(image()).cpu().contiguous();
}

torch::Tensor DragSession::preview() {
  if (!last_partial_image_.defined()) return image();
  if (last_partial_image_.size(2) == shape_.height && last_partial_image_.size(3) == shape_.width)
    return last_partial_image_;
  torch::NoGradGuard no_grad;
  return at::upsample_bilinear2d(last_partial_image_, {shape_.height, shape_.width}, false);
}

}  // namespace draggan
