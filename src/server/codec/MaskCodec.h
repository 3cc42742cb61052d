// The editor's mask on the wire. A mask is a [H, W] map of the image, 1 = movable ("flexible") region,
// 0 = keep fixed, as in the official editor. JSON forms (all row-major, top row first):
//   {"format": "rle", "width": W, "height": H, "counts": [n0, n1, n2, ...]}
//       run lengths alternating 0-runs and 1-runs, starting with a (possibly empty) 0-run; sum = W*H.
//   {"format": "raw", "width": W, "height": H, "data": "<base64 of W*H bytes, nonzero = 1>"}
//   {"format": "png", "data": "<base64 PNG>"}   first channel nonzero = 1
// The PUT /mask endpoint also takes a raw PNG body (Content-Type image/png).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace draggan::server {

// -> bool tensor [height, width]; throws InputError if malformed or not the expected size.
torch::Tensor decode_mask(const nlohmann::json& body, int64_t height, int64_t width);
torch::Tensor decode_mask_png(const std::string& png_bytes, int64_t height, int64_t width);

// bool/uint8 [H, W] -> {"format": "rle", ...}
nlohmann::json encode_mask_rle(const torch::Tensor& mask);

}  // namespace draggan::server
