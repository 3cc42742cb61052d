// How a batch is split across ranks (core/BatchRows.h): draws made for the whole batch and cut to a rank's
// rows are the rows an unsplit run draws, and each rank's minibatch-stddev groups are the whole batch's.
#include <gtest/gtest.h>

#include "draggan/core/BatchRows.h"
#include "draggan/core/Error.h"
#include "draggan/nn/MinibatchStd.h"

namespace batch_rows_test {

using draggan::BatchRows;

TEST(BatchRows, AWholeBatchDrawsExactlyAsWithoutASplit) {
  torch::manual_seed(3);
  const torch::Tensor direct = torch::randn({6, 5});
  torch::manual_seed(3);
  const torch::Tensor drawn = BatchRows().draw(6, [](int64_t n) { return torch::randn({n, 5}); });
  EXPECT_TRUE(torch::equal(direct, drawn));
}

TEST(BatchRows, ASplitDrawKeepsEachRanksRowsOfTheWholeBatchDraw) {
  torch::manual_seed(4);
  const torch::Tensor whole = torch::randn({8, 3});
  for (int rank = 0; rank < 2; ++rank) {
    const BatchRows rows = draggan::minibatch_rows(8, 4, rank, 2);
    torch::manual_seed(4);
    const torch::Tensor mine = rows.draw(4, [](int64_t n) { return torch::randn({n, 3}); });
    for (int64_t i = 0; i < 4; ++i)
      EXPECT_TRUE(torch::equal(mine[i], whole[rows.rows()[i]])) << rank << " " << i;
  }
}

TEST(BatchRows, EachRankHoldsWholeMinibatchStddevGroupsInTheirOrder) {
  // 24 samples, groups of 4 strided across the batch (6 groups), over 3 ranks: minibatch_std of each rank's
  // rows gives those rows of minibatch_std of the whole batch, bit for bit.
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({24, 8, 4, 4});
  const torch::Tensor whole = draggan::minibatch_std(x, 4, 1);
  std::vector<int64_t> seen;
  for (int rank = 0; rank < 3; ++rank) {
    const BatchRows rows = draggan::minibatch_rows(24, 4, rank, 3);
    ASSERT_EQ(rows.local(), 8);
    const torch::Tensor local = draggan::minibatch_std(rows.select(x), 4, 1);
    EXPECT_TRUE(torch::equal(local, rows.select(whole))) << "rank " << rank;
    seen.insert(seen.end(), rows.rows().begin(), rows.rows().end());
  }
  std::sort(seen.begin(), seen.end());
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(seen[i], i);  // every sample exactly once
}

TEST(BatchRows, ABatchThatSplitsGroupsIsRefused) {
  EXPECT_THROW(draggan::minibatch_rows(8, 4, 0, 4), draggan::InputError);   // 2 samples a rank
  EXPECT_THROW(draggan::minibatch_rows(12, 4, 0, 2), draggan::InputError);  // 3 groups over 2 ranks
  EXPECT_NO_THROW(draggan::minibatch_rows(12, 4, 2, 3));
  EXPECT_THROW(draggan::contiguous_rows(5, 0, 2), draggan::InputError);
  EXPECT_EQ(draggan::contiguous_rows(6, 1, 2).rows(), (std::vector<int64_t>{3, 4, 5}));
}

}  // namespace batch_rows_test
