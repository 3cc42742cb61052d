#include "server/codec/TensorCodec.h"

#include <cstring>

#include "draggan/core/Error.h"
#include "server/codec/Base64.h"

namespace draggan::server {

// x86 and ARM hosts are little-endian, so the float bytes are copied as they are.
nlohmann::json encode_float_tensor(const torch::Tensor& tensor) {
  torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const std::string bytes(reinterpret_cast<const char*>(t.data_ptr<float>()), t.numel() * sizeof(float));
  return {{"dtype", "float32"}, {"shape", t.sizes().vec()}, {"data", base64_encode(bytes)}};
}

torch::Tensor decode_float_tensor(const nlohmann::json& value, const std::string& what) {
  if (!value.is_object() || !value.contains("shape") || !value.contains("data"))
    throw InputError(what + ": expected {\"dtype\": \"float32\", \"shape\": [...], \"data\": base64}");
  if (value.value("dtype", std::string("float32")) != "float32")
    throw InputError(what + ": only dtype float32 is supported");
  if (!value["shape"].is_array() || !value["data"].is_string())
    throw InputError(what + ": \"shape\" must be an array and \"data\" a base64 string");
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (const auto& d : value["shape"]) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (int64_t{1} << 24))
      throw InputError(what + ": bad shape " + value["shape"].dump());
    shape.push_back(d.get<int64_t>());
    count *= shape.back();
    if (count > (int64_t{1} << 26)) throw InputError(what + ": tensor too large");
  }
  const std::string bytes = base64_decode(value["data"].get<std::string>(), what);
  if (static_cast<int64_t>(bytes.size()) != count * static_cast<int64_t>(sizeof(float)))
    throw InputError(what + ": " + std::to_string(bytes.size()) + " bytes of data for shape " +
                     value["shape"].dump() + " (expected " + std::to_string(count * sizeof(float)) + ")");
  torch::Tensor t = torch::empty(shape, torch::kFloat32);
  if (count > 0) std::memcpy(t.data_ptr<float>(), bytes.data(), bytes.size());
  if (!torch::isfinite(t).all().item<bool>()) throw InputError(what + ": contains NaN or infinity");
  return t;
}

}  // namespace draggan::server
