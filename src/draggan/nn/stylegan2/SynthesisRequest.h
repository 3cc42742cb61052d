// What a caller wants from one synthesis pass. The drag engine asks for one block's features and stops there;
// the editor asks for the image.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "draggan/core/BatchRows.h"
#include "draggan/model/NoiseMode.h"

namespace draggan {

struct SynthesisRequest {
  NoiseMode noise = NoiseMode::Const;
  // Run blocks 0..stop_after_block only (index into block_resolutions); -1 runs every block and makes the image.
  int stop_after_block = -1;
  // Keep each executed block's output x (its features) in SynthesisResult::features.
  bool keep_features = false;
  // The official inference arithmetic (one modulated weight per sample) instead of the faster equivalent; see
  // ModulatedConvOptions::fused. Only differs in float rounding.
  bool fused_modconv = false;
  // Only the image is wanted, without gradients: layers may use faster arithmetic that rounds differently
  // from the feature path's (see SynthesisLayerImpl::forward). Never for features, which must not depend on
  // it.
  bool image_only = false;
  // A batch split across processes (distributed training): random noise is drawn for the whole batch and cut
  // to these rows (core/BatchRows.h). Null: the batch is whole.
  const BatchRows* random_rows = nullptr;
};

struct SynthesisResult {
  torch::Tensor image;                  // [N, C, H, W]; undefined if the pass stopped before the last block
  std::vector<torch::Tensor> features;  // x after block 0, 1, ... (only with keep_features)
  torch::Tensor partial_image;          // skip-architecture RGB accumulated so far (a cheap low-res preview)
};

}  // namespace draggan
