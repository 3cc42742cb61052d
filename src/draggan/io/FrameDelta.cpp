#include "draggan/io/FrameDelta.h"

namespace draggan {

FrameRegion changed_region(const torch::Tensor& previous, const torch::Tensor& current) {
  const torch::Tensor changed = (previous != current).any(2);
  const torch::Tensor rows = changed.any(1).nonzero(), cols = changed.any(0).nonzero();
  if (rows.numel() == 0) return {};
  FrameRegion r;
  r.top = rows.min().item<int64_t>();
  r.left = cols.min().item<int64_t>();
  r.height = rows.max().item<int64_t>() - r.top + 1;
  r.width = cols.max().item<int64_t>() - r.left + 1;
  return r;
}

}  // namespace draggan
