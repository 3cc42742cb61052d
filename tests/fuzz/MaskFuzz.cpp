// The editor's mask codecs: JSON masks (rle, raw, base64 PNG) and PNG masks, against a 32x32 image.
#include <nlohmann/json.hpp>

#include "FuzzInput.h"
#include "server/http/JsonBody.h"
#include "server/codec/MaskCodec.h"
#include "server/ServerLimits.h"

int draggan::fuzz::fuzz_mask(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes = draggan::fuzz::as_string(data + 1, size - 1);
  // The first byte picks the route: PUT /mask with a JSON body or with an image body.
  draggan::fuzz::expect_clean([&] {
    if (data[0] & 1) {
      draggan::server::decode_mask_png(bytes, 32, 32);
    } else {
      const nlohmann::json body = draggan::server::parse_json_object(bytes, draggan::server::limits::kJsonValues, "mask");
      const torch::Tensor mask = draggan::server::decode_mask(body, 32, 32);
      draggan::server::encode_mask_rle(mask);
    }
  });
  return 0;
}
