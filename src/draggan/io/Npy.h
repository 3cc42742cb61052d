// NumPy .npy files (format 1.0-3.0, little-endian, C order): the fixtures' format and a handy latent format.
#pragma once
#include <torch/torch.h>

#include <string>

namespace draggan {

// Reads float16/32/64, int8/16/32/64, uint8 and bool arrays. Throws InputError naming the file on anything else.
torch::Tensor read_npy(const std::string& path);
torch::Tensor parse_npy(const std::string& bytes, const std::string& origin);

// Writes a contiguous CPU copy of `tensor` (float32/64, int32/64, uint8, bool).
void write_npy(const std::string& path, const torch::Tensor& tensor);

}  // namespace draggan
