#include "draggan/core/BatchRows.h"

#include "draggan/core/Error.h"

namespace draggan {

BatchRows::BatchRows(int64_t total, std::vector<int64_t> rows) : total_(total), rows_(std::move(rows)) {
  for (int64_t r : rows_)
    if (r < 0 || r >= total_)
      throw InputError("batch rows: row " + std::to_string(r) + " outside a batch of " +
                       std::to_string(total_));
  if (!rows_.empty()) index_ = torch::tensor(rows_, torch::kLong);
}

torch::Tensor BatchRows::draw(int64_t local_rows, const std::function<torch::Tensor(int64_t)>& make) const {
  if (whole()) return make(local_rows);
  if (local_rows != local())
    throw InputError("batch rows: " + std::to_string(local_rows) + " rows asked for, this process has " +
                     std::to_string(local()));
  return select(make(total_));
}

torch::Tensor BatchRows::select(const torch::Tensor& whole_batch) const {
  if (whole()) return whole_batch;
  return whole_batch.index_select(0, index_.to(whole_batch.device()));
}

BatchRows minibatch_rows(int64_t batch, int64_t group, int rank, int world) {
  if (world < 1 || rank < 0 || rank >= world) throw InputError("batch rows: rank outside the world");
  if (group < 1 || batch % (group * world) != 0)
    throw InputError("--batch " + std::to_string(batch) + " on " + std::to_string(world) +
                     " ranks: each rank needs whole minibatch-stddev groups of " + std::to_string(group) +
                     " samples, so the batch must be a multiple of " + std::to_string(group * world));
  // Group j holds samples j, j + m, j + 2m, ... (m = batch / group). Rank r takes groups [r * k, (r + 1) * k)
  // and lays them out the same way, so its own grouping (local row i in group i mod k) finds the same ones.
  const int64_t groups = batch / group, k = groups / world;
  std::vector<int64_t> rows;
  for (int64_t member = 0; member < group; ++member)
    for (int64_t j = 0; j < k; ++j) rows.push_back(member * groups + rank * k + j);
  return BatchRows(batch, std::move(rows));
}

BatchRows contiguous_rows(int64_t batch, int rank, int world) {
  if (world < 1 || rank < 0 || rank >= world || batch % world != 0)
    throw InputError("batch rows: " + std::to_string(batch) + " rows do not split over " +
                     std::to_string(world) + " ranks");
  const int64_t k = batch / world;
  std::vector<int64_t> rows;
  for (int64_t i = 0; i < k; ++i) rows.push_back(rank * k + i);
  return BatchRows(batch, std::move(rows));
}

}  // namespace draggan
