// A value derived from a weight (its squared norms, its kernel re-arranged for a faster convolution), kept
// until the weight changes.
//
// Why: the image path and the drag step need the same derived tensors on every call, while the weights change
// only when something optimises them (pivotal tuning, training). An in-place update bumps the tensor's
// version counter and a move to another device gives it new storage, so either makes the kept value stale. A
// weight that requires grad is derived afresh every call, so that autograd sees the derivation.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <mutex>
#include <vector>

namespace draggan {

template <typename Value>
class DerivedFromWeight {
 public:
  // derive(weight), from the cache when `weight` is the same storage at the same version as last time.
  // Thread-safe: sessions render images from the same generator on several threads.
  Value get(const torch::Tensor& weight, const std::function<Value(const torch::Tensor&)>& derive) {
    if (weight.requires_grad() && torch::GradMode::is_enabled()) return derive(weight);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!source_.defined() || source_.data_ptr() != weight.data_ptr() || version_ != weight._version()) {
      torch::NoGradGuard no_grad;
      value_ = derive(weight);
      source_ = weight.detach();
      version_ = weight._version();
    }
    return value_;
  }

 private:
  std::mutex mutex_;
  // The weight it was derived from, held so that its storage cannot be freed and reused by another weight at the
  // same address and version.
  torch::Tensor source_;
  int64_t version_ = -1;
  Value value_;
};

using DerivedWeight = DerivedFromWeight<torch::Tensor>;
using DerivedKernels = DerivedFromWeight<std::vector<torch::Tensor>>;

}  // namespace draggan
