// DragSession::state / restore (DragState.h): a drag carried on by another process from its last step.
#include <string>

#include "draggan/core/Error.h"
#include "draggan/drag/DragSession.h"

namespace draggan {
namespace {

// Adam keys its per-parameter state by the parameter's TensorImpl address, as text (torch/optim/adam.cpp).
std::string adam_state_key(const torch::Tensor& param) { return c10::guts::to_string(param.unsafeGetTensorImpl()); }

torch::Tensor detached_copy(const torch::Tensor& t) { return t.defined() ? t.detach().clone() : torch::Tensor(); }

std::vector<double> flatten_points(const std::vector<DragPoint>& points) {
  std::vector<double> out;
  for (const auto& p : points) {
    out.push_back(p.x);
    out.push_back(p.y);
  }
  return out;
}

void check_state_shape(const torch::Tensor& got, const torch::Tensor& want, const char* what) {
  if (!got.defined() || got.sizes() != want.sizes())
    throw InputError(std::string("drag state: ") + what + " has shape " +
                     (got.defined() ? c10::str(got.sizes()) : "none") + ", this drag needs " + c10::str(want.sizes()));
}

}  // namespace

DragState DragSession::state() const {
  DragState s;
  s.ws0 = detached_copy(ws0_);
  s.w_opt = detached_copy(w_opt_);
  const auto& states = optimizer_->state();
  if (auto it = states.find(adam_state_key(w_opt_)); it != states.end()) {
    const auto& adam = static_cast<const torch::optim::AdamParamState&>(*it->second);
    s.exp_avg = detached_copy(adam.exp_avg());
    s.exp_avg_sq = detached_copy(adam.exp_avg_sq());
    s.adam_step = adam.step();
  }
  std::vector<DragPoint> handles, targets;
  for (const auto& pair : pairs_) {
    handles.push_back(pair.handle);
    targets.push_back(pair.target);
  }
  s.handles = flatten_points(handles);
  s.targets = flatten_points(targets);
  s.handles_as_set = flatten_points(handles_as_set_);
  for (const auto& ref : feature_refs_) s.feature_refs.push_back(detached_copy(ref));
  s.feat0_ws = detached_copy(feat0_ws_);
  s.steps_taken = steps_taken_;
  return s;
}

void DragSession::restore(const DragState& s) {
  const size_t n = s.handles.size() / 2;
  if (s.handles.size() % 2 != 0 || s.targets.size() != s.handles.size() || s.handles_as_set.size() != s.handles.size() ||
      s.feature_refs.size() != n)
    throw InputError("drag state: " + std::to_string(s.handles.size()) + " handle coordinates, " +
                     std::to_string(s.targets.size()) + " target coordinates and " +
                     std::to_string(s.feature_refs.size()) + " references do not describe one set of pairs");
  check_state_shape(s.ws0, ws0_, "ws0");
  check_state_shape(s.w_opt, w_opt_, "w_opt");
  if (s.adam_step > 0) {
    check_state_shape(s.exp_avg, w_opt_, "exp_avg");
    check_state_shape(s.exp_avg_sq, w_opt_, "exp_avg_sq");
  }
  std::vector<DragPair> pairs;
  std::vector<DragPoint> as_set;
  for (size_t i = 0; i < n; ++i) {
    pairs.push_back({{s.handles[2 * i], s.handles[2 * i + 1]}, {s.targets[2 * i], s.targets[2 * i + 1]}});
    as_set.push_back({s.handles_as_set[2 * i], s.handles_as_set[2 * i + 1]});
    check_point(pairs.back().handle, "handle");
    check_point(pairs.back().target, "target");
  }

  ws0_ = s.ws0.detach().to(device_, torch::kFloat32).clone();
  rebuild_optimizer();  // a fresh leaf and Adam, then the saved values and moments copied in
  {
    torch::NoGradGuard no_grad;
    w_opt_.copy_(s.w_opt.to(device_));
  }
  if (s.adam_step > 0) {
    auto adam = std::make_unique<torch::optim::AdamParamState>();
    adam->step(s.adam_step);
    adam->exp_avg(s.exp_avg.detach().to(device_).clone());
    adam->exp_avg_sq(s.exp_avg_sq.detach().to(device_).clone());
    optimizer_->state()[adam_state_key(w_opt_)] = std::move(adam);
  }
  pairs_ = pairs;
  handles_as_set_ = as_set;
  feature_refs_.clear();
  for (const auto& ref : s.feature_refs) feature_refs_.push_back(ref.defined() ? ref.detach().to(device_).clone() : ref);
  feat0_ws_ = s.feat0_ws.defined() ? s.feat0_ws.detach().to(device_).clone() : torch::Tensor();
  feat0_resized_ = torch::Tensor();
  last_partial_image_ = torch::Tensor();
  cached_image_ = torch::Tensor();
  steps_taken_ = s.steps_taken;
}

}  // namespace draggan
