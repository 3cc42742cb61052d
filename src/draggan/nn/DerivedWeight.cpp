#include "draggan/nn/DerivedWeight.h"

namespace draggan {

torch::Tensor DerivedWeight::get(const torch::Tensor& weight,
                                 const std::function<torch::Tensor(const torch::Tensor&)>& derive) {
  if (weight.requires_grad() && torch::GradMode::is_enabled()) return derive(weight);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!value_.defined() || source_.data_ptr() != weight.data_ptr() || version_ != weight._version()) {
    torch::NoGradGuard no_grad;
    value_ = derive(weight);
    source_ = weight.detach();
    version_ = weight._version();
  }
  return value_;
}

}  // namespace draggan
