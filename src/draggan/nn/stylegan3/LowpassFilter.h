// The low-pass filters of StyleGAN3's synthesis layers, designed as the official code designs them (scipy's
// firwin with a Kaiser window for T; a jinc windowed by an outer-product Kaiser window for R's radial
// down-sampling filters). Checkpoints carry the filters as buffers and inference uses those; designing them here
// lets a model be built from its config alone (random models for tests and benchmarks) and lets tests check
// that a snapshot's buffers are what its config says.
#pragma once
#include <torch/torch.h>

namespace draggan::stylegan3 {

// numtaps 1 -> undefined (the identity: no buffer). Otherwise float32 [numtaps] (separable) or, when radial,
// [numtaps, numtaps]; normalised to unit DC gain. cutoff, width and fs in the same units (cycles per image).
torch::Tensor design_lowpass_filter(int numtaps, double cutoff, double width, double fs, bool radial = false);

}  // namespace draggan::stylegan3
