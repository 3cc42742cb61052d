// The IDX format of (Fashion-)MNIST (big-endian magic 0x0000080D, dims, then raw bytes), plain or gzip'd, as
// Debian's dataset-fashion-mnist ships it under /usr/share/datasets/fashion-mnist/.
#pragma once
#include <torch/torch.h>

#include <string>

namespace draggan {

// An IDX file of unsigned bytes with 3 dimensions (images) -> uint8 [N, H, W]. gzip is detected from the
// content, not the name. Throws InputError naming the file on anything else (labels file, truncated data).
torch::Tensor read_idx_images(const std::string& path);

// An IDX file of unsigned bytes with 1 dimension (class labels, Fashion-MNIST's *-labels-idx1-ubyte.gz) ->
// int64 [N]. InputError naming the file on anything else (an images file, truncated data).
torch::Tensor read_idx_labels(const std::string& path);

// True when the file starts with an IDX magic (after gunzip if compressed): how `train --data` tells an IDX
// file from an image.
bool looks_like_idx(const std::string& path);

}  // namespace draggan
