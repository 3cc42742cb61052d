// DragSession against the official DragGAN loop, step by step (tests/data/README.md, "Drag trajectories"):
// every case, every step's tracked handles exactly, losses to 1e-4 relative, the synthesis ws, the final image.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <memory>
#include <string>

#include "draggan/drag/DragSession.h"
#include "draggan/io/ModelFile.h"
#include "draggan/io/Npy.h"

namespace draggan {
namespace drag_parity_test {

const std::string kData = DRAGGAN_TEST_DATA;
const std::string kModel = kData + "/tiny_sg2.pkl";

torch::Tensor fixture(const std::string& name) { return read_npy(kData + "/" + name + ".npy"); }

struct DragCase {
  std::string name;
  double lr;
  bool mask;
};

class DragParity : public ::testing::TestWithParam<DragCase> {
 protected:
  static void SetUpTestSuite() { model_ = std::make_unique<LoadedModel>(load_model(kModel)); }
  static void TearDownTestSuite() { model_.reset(); }
  static std::unique_ptr<LoadedModel> model_;
};
std::unique_ptr<LoadedModel> DragParity::model_;

// The fixtures' hyperparameters: block 3 (b32, resized x2), r1 16 / r2 48 at 512 scale = 2 / 6 px.
DragParams fixture_params(double lr) {
  DragParams p;
  p.lr = lr;
  p.feature_block = 3;
  p.r1 = 16;
  p.r2 = 48;
  return p;
}

TEST_P(DragParity, FollowsTheOfficialTrajectory) {
  const DragCase& c = GetParam();
  torch::Tensor ws_ref = fixture(c.name + "_ws");            // [S+1, 10, 64]
  torch::Tensor handles_ref = fixture(c.name + "_handles");  // [S+1, N, 2] as [row, col]
  torch::Tensor loss_ref = fixture(c.name + "_loss");
  torch::Tensor stop_ref = fixture(c.name + "_stop");
  torch::Tensor points = fixture(c.name + "_points_init"), targets = fixture(c.name + "_targets");
  const int64_t steps = loss_ref.size(0), n = points.size(0);

  GeneratorPtr g = model_->generator;
  DragSession session(g, latent_from_seed(*g, 0, 0.7), fixture_params(c.lr));
  EXPECT_LE((session.start_ws() - ws_ref[0].unsqueeze(0)).abs().max().item<double>(), 1e-5);
  for (int64_t j = 0; j < n; ++j)
    session.add_pair({points[j][1].item<double>(), points[j][0].item<double>()},
                     {targets[j][1].item<double>(), targets[j][0].item<double>()});
  if (c.mask) session.set_mask(fixture(c.name + "_mask"));

  double worst_loss = 0.0, worst_ws = 0.0;
  for (int64_t k = 0; k <= steps; ++k) {
    // ws before step k: Adam's updates so far.
    const double ws_err = (session.ws()[0] - ws_ref[k]).abs().max().item<double>();
    worst_ws = std::max(worst_ws, ws_err);
    EXPECT_LE(ws_err, 1e-4) << c.name << " ws before step " << k;
    if (k == steps) {
      torch::Tensor img = session.image();
      EXPECT_LE((img - fixture(c.name + "_img_final")).abs().max().item<double>(), 1e-3) << c.name;
      torch::Tensor u8 = session.image_uint8().to(torch::kInt32);
      EXPECT_LE((u8 - fixture(c.name + "_img_final_uint8").to(torch::kInt32)).abs().max().item<int>(), 1) << c.name;
    }
    DragStepReport r = session.step();  // the extra step k = S only tracks for the last comparison
    ASSERT_EQ(r.handles.size(), static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) {
      EXPECT_EQ(r.handles[j].y, handles_ref[k][j][0].item<int64_t>()) << c.name << " step " << k << " handle " << j;
      EXPECT_EQ(r.handles[j].x, handles_ref[k][j][1].item<int64_t>()) << c.name << " step " << k << " handle " << j;
    }
    if (k == steps) break;
    const double expected = loss_ref[k].item<double>();
    const double rel = std::abs(r.loss - expected) / std::max(std::abs(expected), 1e-12);
    worst_loss = std::max(worst_loss, rel);
    EXPECT_LE(rel, 1e-4) << c.name << " loss at step " << k << ": " << r.loss << " vs " << expected;
    EXPECT_EQ(r.done, stop_ref[k].item<bool>()) << c.name << " step " << k;
  }
  std::printf("[ parity ] %-16s max loss rel err %.3g, max ws abs err %.3g\n", c.name.c_str(), worst_loss, worst_ws);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DragParity,
                         ::testing::Values(DragCase{"drag1", 0.001, false}, DragCase{"drag2", 0.001, false},
                                           DragCase{"drag_mask", 0.001, true}, DragCase{"drag1_lr01", 0.01, false},
                                           DragCase{"drag2_lr01", 0.01, false},
                                           DragCase{"drag_mask_lr01", 0.01, true}),
                         [](const auto& info) { return info.param.name; });

}  // namespace drag_parity_test
}  // namespace draggan
