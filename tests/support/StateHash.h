// The official fixtures' "sha256 over its parameters+buffers" of a generator: SHA-256 over, for every
// parameter and then every buffer in registration order (PyTorch's named_parameters() + named_buffers()), the
// name's UTF-8 bytes followed by the tensor's raw float32 bytes (C order). Our modules register in the official
// order, so equal digests mean every converted tensor is bit-identical to what the official loader built.
#pragma once
#include <openssl/evp.h>
#include <torch/torch.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace draggan::test {

inline std::string state_sha256(const torch::nn::Module& module) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) throw std::runtime_error("sha256 init");
  auto update = [&](const std::string& name, const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().cpu().to(torch::kFloat).contiguous();
    EVP_DigestUpdate(ctx.get(), name.data(), name.size());
    EVP_DigestUpdate(ctx.get(), t.data_ptr(), static_cast<size_t>(t.numel()) * sizeof(float));
  };
  for (const auto& p : module.named_parameters(true)) update(p.key(), p.value());
  for (const auto& b : module.named_buffers(true)) update(b.key(), b.value());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &length) != 1) throw std::runtime_error("sha256 final");
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

}  // namespace draggan::test
