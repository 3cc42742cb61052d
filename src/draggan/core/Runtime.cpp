#include "draggan/core/Runtime.h"

#include <thread>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "draggan/core/Error.h"

namespace draggan {

void configure_threads(int threads) {
  if (threads < 0) throw InputError("--threads must be >= 0 (0 = all cores), got " + std::to_string(threads));
  int n = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  torch::set_num_threads(n);
}

void keep_freed_memory_for_reuse() {
#if defined(__GLIBC__)
  // A step or an inversion allocates and frees the same few-MB activation buffers every iteration. With glibc's
  // defaults, blocks above a (moving) threshold are mmapped and every free gives the pages back, so the next
  // step faults them in again; in threads other than the main one (the server's workers) this cost 10-30% of
  // the editor's steps per second (bench/README.md). Blocks up to 32 MB now come from the heap and freed heap
  // memory is kept for reuse; larger blocks are still mapped and returned at once, so peak memory is unchanged.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // Threads other than the main one allocate from heaps of at most 64 MB, and glibc unmaps such a heap as
  // soon as it is wholly free unless the top pad would be left short, whatever the trim threshold: the
  // editor's render thread lost every image's buffers that way (3.0 -> 3.6 steps/s at 256 px with this pad).
  // The pad is address space asked for ahead, not memory: pages are only used once touched.
  mallopt(M_TOP_PAD, 256 << 20);
#endif
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
