// The rows of a batch that this process computes when one batch is split across processes (distributed
// training). Random draws for a split batch are made for the whole batch, in the order one process makes
// them, and cut to this process's rows: a sample's latent, noise and augmentation are then the same however
// the batch is split, and the same as in a one-process run. The price: every process draws the random numbers
// of the whole batch (cheap next to synthesising it; bench/README.md has the figures).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <vector>

namespace draggan {

class BatchRows {
 public:
  BatchRows() = default;  // the whole batch is here: draws are made exactly as without a split
  // `rows`: the whole-batch index of each local row, in local order.
  BatchRows(int64_t total, std::vector<int64_t> rows);

  bool whole() const { return rows_.empty(); }
  int64_t total() const { return total_; }
  int64_t local() const { return static_cast<int64_t>(rows_.size()); }
  const std::vector<int64_t>& rows() const { return rows_; }

  // `draw(n)` makes a random tensor of n rows (dim 0). Whole: draw(local_rows), exactly the call an unsplit
  // run makes. Split: draw(total()) cut to these rows (local_rows must be local()).
  torch::Tensor draw(int64_t local_rows, const std::function<torch::Tensor(int64_t)>& draw) const;
  // These rows of a whole-batch tensor (dim 0).
  torch::Tensor select(const torch::Tensor& whole_batch) const;

 private:
  int64_t total_ = 0;
  std::vector<int64_t> rows_;
  torch::Tensor index_;  // rows_ as a long tensor
};

// The rows rank `rank` of `world` computes of a batch of `batch` samples whose discriminator pools the
// minibatch standard deviation over groups of `group` samples strided across the batch (sample i in group
// i mod batch/group, as StyleGAN2 does): whole groups, so the discriminator sees what it sees in one process,
// and in the same order within each group. InputError unless batch is a multiple of world * group.
BatchRows minibatch_rows(int64_t batch, int64_t group, int rank, int world);

// Rank `rank`'s contiguous share of `batch` rows. InputError unless batch is a multiple of world.
BatchRows contiguous_rows(int64_t batch, int rank, int world);

}  // namespace draggan
