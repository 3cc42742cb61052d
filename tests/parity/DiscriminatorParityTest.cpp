// The discriminator against NVIDIA's: the fixture's D tensors load by name and give the official logits.
#include <gtest/gtest.h>

#include "draggan/io/ModelFile.h"
#include "draggan/io/Npy.h"
#include "draggan/nn/Discriminator.h"

namespace discriminator_parity_test {

const std::string kData = DRAGGAN_TEST_DATA;

draggan::Discriminator fixture_discriminator() {
  draggan::LoadedModel model = draggan::load_model(kData + "/tiny_sg2.pkl");
  draggan::Discriminator d(draggan::DiscriminatorConfig::from_any_json(model.discriminator_config));
  draggan::load_state_dict(*d, model.discriminator, "tiny_sg2.pkl: D");
  d->eval();
  return d;
}

torch::Tensor fixture_images() {
  return torch::cat({draggan::read_npy(kData + "/seed0_img_psi1.npy"), draggan::read_npy(kData + "/seed1_img_psi1.npy"),
                     draggan::read_npy(kData + "/seed2_img_psi1.npy"), draggan::read_npy(kData + "/seed0_img_psi07.npy")})
      .to(torch::kFloat32);
}

TEST(DiscriminatorParity, ConfigFromNvidiaKwargsMatchesTheFixture) {
  draggan::LoadedModel model = draggan::load_model(kData + "/tiny_sg2.pkl");
  auto config = draggan::DiscriminatorConfig::from_any_json(model.discriminator_config);
  EXPECT_EQ(config.img_resolution, 64);
  EXPECT_EQ(config.channel_base, 1024);
  EXPECT_EQ(config.channel_max, 64);
  EXPECT_EQ(config.architecture, "resnet");
  ASSERT_TRUE(config.conv_clamp.has_value());
  EXPECT_EQ(*config.conv_clamp, 256.0);
  ASSERT_TRUE(config.mbstd_group_size.has_value());
  EXPECT_EQ(*config.mbstd_group_size, 4);
  // Round trip through our own JSON keeps the architecture.
  auto again = draggan::DiscriminatorConfig::from_any_json(config.to_json());
  EXPECT_EQ(again.to_json(), config.to_json());
}

TEST(DiscriminatorParity, LogitsMatchTheOfficialDiscriminator) {
  torch::NoGradGuard no_grad;
  draggan::Discriminator d = fixture_discriminator();
  draggan::DiscriminatorResult r = d->run(fixture_images(), /*keep_features=*/true);
  torch::Tensor expected = draggan::read_npy(kData + "/d_logits_seed0120psi07.npy");
  ASSERT_EQ(r.logits.sizes(), expected.sizes());
  EXPECT_LE((r.logits - expected).abs().max().item<double>(), 1e-4);
  torch::Tensor fc = draggan::read_npy(kData + "/d_fc_seed0120psi07.npy");
  ASSERT_EQ(r.features.back().sizes(), fc.sizes());
  EXPECT_LE((r.features.back() - fc).abs().max().item<double>(), 1e-4);
  // One feature map per block (b64..b8), then the fc features.
  EXPECT_EQ(r.features.size(), 5u);
  EXPECT_EQ(r.features[0].sizes(), (torch::IntArrayRef{4, 32, 32, 32}));
}

}  // namespace discriminator_parity_test
