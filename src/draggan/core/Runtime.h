// Process-wide settings read once at start-up: LibTorch threads and the compute device.
#pragma once
#include <torch/torch.h>

#include <string>

namespace draggan {

// LibTorch here defaults to one intra-op thread; use every core unless told otherwise (0 = all cores).
void configure_threads(int threads);

// Keep freed activation memory in the process for the next step instead of returning it to the system each time
// (glibc only; elsewhere a no-op).
void keep_freed_memory_for_reuse();

// "cpu", "cuda", "cuda:1" or "auto" (CUDA when this LibTorch has it and a GPU is present, else CPU).
torch::Device parse_device(const std::string& name);

}  // namespace draggan
