#include "draggan/core/Runtime.h"

#include <thread>

#include "draggan/core/Error.h"

namespace draggan {

void configure_threads(int threads) {
  if (threads < 0) throw InputError("--threads must be >= 0 (0 = all cores), got " + std::to_string(threads));
  int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  torch::set_num_threads(n);
}

torch::Device parse_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  try {
    torch::Device device(name);
    if (device.is_cuda() && !torch::cuda::is_available())
      throw InputError("--device " + name + ": this build of LibTorch has no usable CUDA device");
    return device;
  } catch (const c10::Error&) {
    throw InputError("--device: expected cpu, cuda, cuda:N or auto, got '" + name + "'");
  }
}

}  // namespace draggan
