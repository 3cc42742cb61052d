// Float tensors inside JSON (a saved session's latent): {"dtype": "float32", "shape": [...], "data": base64 of
// the little-endian float32 values, row-major}. Exact, unlike decimal text, and a third of the size.
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace draggan::server {

nlohmann::json encode_float_tensor(const torch::Tensor& tensor);

// float32 CPU tensor; InputError naming `what` if malformed or the byte count does not match the shape.
torch::Tensor decode_float_tensor(const nlohmann::json& value, const std::string& what);

}  // namespace draggan::server
