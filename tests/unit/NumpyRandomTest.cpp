// The seed -> latent mapping must be NumPy's, bit for bit, or `--seed N` shows a different face than DragGAN.
#include <gtest/gtest.h>

#include <random>

#include "draggan/core/NumpyRandom.h"
#include "draggan/io/Npy.h"

namespace draggan {
namespace numpy_random_test {

TEST(NumpyRandom, RawStreamIsMt19937SeededWithInitGenrand) {
  for (uint32_t seed : {0u, 1u, 42u, 4294967295u}) {
    std::mt19937 reference(seed);
    NumpyRandomState rng(seed);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(rng.next_uint32(), reference()) << "seed " << seed << " draw " << i;
  }
}

TEST(NumpyRandom, RandomSampleMatchesNumpy) {
  // np.random.RandomState(0).random_sample(3)
  NumpyRandomState rng(0);
  EXPECT_EQ(rng.random_sample(), 0.5488135039273248);
  EXPECT_EQ(rng.random_sample(), 0.7151893663724195);
  EXPECT_EQ(rng.random_sample(), 0.6027633760716439);
}

TEST(NumpyRandom, StandardNormalMatchesNumpyLegacyGauss) {
  // np.random.RandomState(42).randn(5) and RandomState(2**32 - 1).randn(5), numpy 1.24.
  const double seed42[] = {0.4967141530112327, -0.13826430117118466, 0.6476885381006925, 1.5230298564080254,
                           -0.23415337472333597};
  const double seed_max[] = {0.6484086742306527, 0.6693235306338161, -1.0805437227474493, 0.2845010447986309,
                             0.11388773652167104};
  NumpyRandomState a(42), b(4294967295u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a.standard_normal(), seed42[i]) << i;
    EXPECT_EQ(b.standard_normal(), seed_max[i]) << i;
  }
}

TEST(NumpyRandom, LongStreamsStayInStepAcrossCalls) {
  // rs = RandomState(7); rs.randn(1000)[-1]; then rs.randn(1, 512).astype(float32)[0, 511]: a long stream
  // crosses several MT19937 twists and rejection steps, and the state carries over between calls.
  NumpyRandomState rng(7);
  torch::Tensor first = rng.randn(999);
  (void)first;
  EXPECT_EQ(rng.standard_normal(), -0.6774392378782009);
  torch::Tensor second = rng.randn(512);
  EXPECT_EQ(static_cast<float>(second[511].item<double>()), -0.8644037246704102f);
}

TEST(NumpyRandom, OddCountLeavesTheCachedPartnerForTheNextCall) {
  // rs = RandomState(3); rs.randn(3); rs.randn(1)[0], rs.randn(1)[0]
  NumpyRandomState rng(3);
  const torch::Tensor three = rng.randn(3);
  EXPECT_EQ(three[2].item<double>(), 0.09649746807200862);
  EXPECT_EQ(rng.randn(1)[0].item<double>(), -1.8634927033644908);
  EXPECT_EQ(rng.randn(1)[0].item<double>(), -0.27738820251439905);
}

TEST(NumpyRandom, LatentFromSeedMatchesOfficialFixtures) {
  for (int seed = 0; seed < 3; ++seed) {
    const torch::Tensor expected = read_npy(std::string(DRAGGAN_TEST_DATA) + "/seed" + std::to_string(seed) + "_z.npy");
    ASSERT_EQ(expected.sizes(), torch::IntArrayRef({1, 64}));
    NumpyRandomState rng(static_cast<uint32_t>(seed));
    const torch::Tensor z64 = rng.randn(64).reshape({1, 64});
    EXPECT_EQ((z64 - expected).abs().max().item<double>(), 0.0) << "seed " << seed;
    const torch::Tensor z = z_from_seed(static_cast<uint32_t>(seed), 64);
    EXPECT_EQ(z.scalar_type(), torch::kFloat32);
    EXPECT_EQ(z.sizes(), torch::IntArrayRef({1, 64}));
    EXPECT_TRUE(torch::equal(z, expected.to(torch::kFloat32))) << "seed " << seed;
  }
}

TEST(NumpyRandom, LatentIsAPrefixOfTheOfficial512Vector) {
  const torch::Tensor z512 = z_from_seed(5, 512);
  EXPECT_TRUE(torch::equal(z_from_seed(5, 64), z512.slice(1, 0, 64)));
}

}  // namespace numpy_random_test
}  // namespace draggan
