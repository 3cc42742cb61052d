// A tensor derived from a weight (its squared norms, its kernel re-arranged for a faster convolution), kept
// until the weight changes.
//
// Why: the image path and the drag step need the same derived tensors on every call, while the weights change
// only when something optimises them (pivotal tuning, training). An in-place update bumps the tensor's version
// counter and a move to another device gives it new storage, so either makes the kept value stale. A weight that
// requires grad is derived afresh every call, so that autograd sees the derivation.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <mutex>

namespace draggan {

class DerivedWeight {
 public:
  // derive(weight), from the cache when `weight` is the same storage at the same version as last time.
  // Thread-safe: sessions render images from the same generator on several threads.
  torch::Tensor get(const torch::Tensor& weight, const std::function<torch::Tensor(const torch::Tensor&)>& derive);

 private:
  std::mutex mutex_;
  // The weight it was derived from, held so that its storage cannot be freed and reused by another weight at the
  // same address and version.
  torch::Tensor source_;
  int64_t version_ = -1;
  torch::Tensor value_;
};

}  // namespace draggan
