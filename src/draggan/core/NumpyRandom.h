// NumPy's legacy np.random.RandomState, bit for bit: the official DragGAN tools turn a seed into a latent with
// np.random.RandomState(seed).randn(1, z_dim), so `--seed 0` must mean the same image here as there.
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>

namespace draggan {

class NumpyRandomState {
 public:
  // RandomState(int seed): MT19937 init_genrand. NumPy accepts 0 .. 2^32-1, exactly the uint32 range.
  explicit NumpyRandomState(uint32_t seed);

  uint32_t next_uint32();
  // random_sample(): 53-bit double in [0, 1) made from two 32-bit draws.
  double random_sample();
  // standard_normal(): legacy polar Box-Muller; every second call returns the cached partner value.
  double standard_normal();
  // randn(n) as float64 [n].
  torch::Tensor randn(int64_t n);

 private:
  void twist();

  std::array<uint32_t, 624> state_{};
  int pos_ = 624;
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

// float32 [1, z_dim] equal to torch.from_numpy(np.random.RandomState(seed).randn(1, z_dim)).float().
// Legacy normals are drawn sequentially, so the first z_dim values do not depend on the length requested
// (the official renderer asks for 512 and uses them all; a smaller z_dim takes a prefix).
torch::Tensor z_from_seed(uint32_t seed, int z_dim);

}  // namespace draggan
