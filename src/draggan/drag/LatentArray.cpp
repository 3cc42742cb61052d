#include "draggan/drag/LatentArray.h"

#include "draggan/core/Error.h"

namespace draggan {

torch::Tensor latent_from_tensor(const torch::Tensor& latent, const LatentLayout& layout, torch::Device device,
                                 const std::string& origin) {
  torch::Tensor w = latent.detach();
  const int64_t num_ws = layout.num_ws, w_dim = layout.w_dim;
  if (!w.is_floating_point())
    throw InputError(origin + ": a latent must be a float array, got " + std::string(c10::toString(w.scalar_type())));
  while (w.dim() > 1 && w.size(0) == 1 && w.dim() > 2) w = w.squeeze(0);  // [1, L, D] -> [L, D]
  if (w.dim() == 1) w = w.unsqueeze(0);                                   // [D] -> [1, D]
  if (w.dim() != 2 || w.size(1) != w_dim || (w.size(0) != 1 && w.size(0) != num_ws))
    throw InputError(origin + ": expected a latent of shape [1, " + std::to_string(num_ws) + ", " +
                     std::to_string(w_dim) + "], [" + std::to_string(num_ws) + ", " + std::to_string(w_dim) +
                     "] or a W vector [" + std::to_string(w_dim) + "], got " + c10::str(latent.sizes()));
  w = w.to(torch::kFloat32);
  if (!torch::isfinite(w).all().item<bool>()) throw InputError(origin + ": latent contains NaN or infinity");
  return w.expand({num_ws, w_dim}).unsqueeze(0).contiguous().to(device);
}

}  // namespace draggan
