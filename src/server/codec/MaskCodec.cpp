#include "server/codec/MaskCodec.h"

#include <algorithm>

#include "draggan/core/Error.h"
#include "draggan/io/Image.h"
#include "server/codec/Base64.h"

namespace draggan::server {
namespace {

std::string size_text(int64_t height, int64_t width) {
  return std::to_string(width) + "x" + std::to_string(height);
}

void check_size(const nlohmann::json& body, int64_t height, int64_t width) {
  if (!body.contains("width") || !body.contains("height") || !body["width"].is_number_integer() ||
      !body["height"].is_number_integer())
    throw InputError("mask: \"width\" and \"height\" (integers) are required");
  if (body["width"].get<int64_t>() != width || body["height"].get<int64_t>() != height)
    throw InputError("mask: size " + size_text(body["height"].get<int64_t>(), body["width"].get<int64_t>()) +
                     " does not match the image (" + size_text(height, width) + ")");
}

torch::Tensor decode_rle(const nlohmann::json& counts, int64_t height, int64_t width) {
  if (!counts.is_array()) throw InputError("mask: \"counts\" must be an array of run lengths");
  const int64_t total = height * width;
  std::vector<int64_t> runs;
  runs.reserve(counts.size());
  int64_t sum = 0;
  for (const auto& c : counts) {
    if (!c.is_number_integer() || c.get<int64_t>() < 0)
      throw InputError("mask: run lengths must be non-negative integers");
    sum += c.get<int64_t>();
    if (sum > total) throw InputError("mask: run lengths add up to more than width*height = " + std::to_string(total));
    runs.push_back(c.get<int64_t>());
  }
  if (sum != total)
    throw InputError("mask: run lengths add up to " + std::to_string(sum) + ", expected width*height = " +
                     std::to_string(total));
  // Expand runs with repeat_interleave: values 0,1,0,1,... each repeated by its run length.
  torch::Tensor lengths = torch::tensor(runs, torch::kLong);
  torch::Tensor values = torch::arange(static_cast<int64_t>(runs.size()), torch::kLong).remainder(2).to(torch::kBool);
  return values.repeat_interleave(lengths).reshape({height, width});
}

}  // namespace

torch::Tensor decode_mask_png(const std::string& png_bytes, int64_t height, int64_t width) {
  // The size from the header first: a mask is never decoded at another size than the image's.
  const ImageInfo info = image_info(png_bytes, "mask image");
  if (info.height != height || info.width != width)
    throw InputError("mask image: size " + size_text(info.height, info.width) + " does not match the image (" +
                     size_text(height, width) + ")");
  const torch::Tensor image = decode_image(png_bytes, "mask image", {static_cast<int>(std::max(height, width)), height * width});
  return image.select(2, 0).ne(0).contiguous();
}

torch::Tensor decode_mask(const nlohmann::json& body, int64_t height, int64_t width) {
  if (!body.is_object()) throw InputError("mask: expected a JSON object");
  if (body.contains("format") && !body["format"].is_string()) throw InputError("mask: \"format\" must be a string");
  const std::string format = body.value("format", std::string("rle"));
  if (format == "rle") {
    check_size(body, height, width);
    if (!body.contains("counts")) throw InputError("mask: \"counts\" is required for format rle");
    return decode_rle(body["counts"], height, width);
  }
  if (format == "raw") {
    check_size(body, height, width);
    if (!body.contains("data") || !body["data"].is_string())
      throw InputError("mask: \"data\" (base64) is required for format raw");
    const std::string bytes = base64_decode(body["data"].get<std::string>(), "mask data");
    if (static_cast<int64_t>(bytes.size()) != height * width)
      throw InputError("mask: raw data has " + std::to_string(bytes.size()) + " bytes, expected width*height = " +
                       std::to_string(height * width));
    torch::Tensor raw = torch::from_blob(const_cast<char*>(bytes.data()), {height, width}, torch::kUInt8);
    return raw.ne(0).clone();
  }
  if (format == "png") {
    if (!body.contains("data") || !body["data"].is_string())
      throw InputError("mask: \"data\" (base64 PNG) is required for format png");
    return decode_mask_png(base64_decode(body["data"].get<std::string>(), "mask data"), height, width);
  }
  throw InputError("mask: unknown format \"" + format.substr(0, 40) + "\" (use rle, raw or png)");
}

nlohmann::json encode_mask_rle(const torch::Tensor& mask) {
  TORCH_CHECK(mask.dim() == 2, "mask must be [H, W]");
  torch::Tensor flat = mask.ne(0).flatten().to(torch::kCPU);
  const int64_t total = flat.numel();
  // Run boundaries are where the value changes; torch finds them without a per-pixel loop.
  torch::Tensor change = torch::nonzero(flat.slice(0, 1).ne(flat.slice(0, 0, total - 1))).flatten() + 1;
  torch::Tensor bounds = torch::cat({torch::zeros({1}, torch::kLong), change, torch::full({1}, total, torch::kLong)});
  torch::Tensor lengths = (bounds.slice(0, 1) - bounds.slice(0, 0, -1)).contiguous();
  std::vector<int64_t> counts(lengths.data_ptr<int64_t>(), lengths.data_ptr<int64_t>() + lengths.numel());
  if (total > 0 && flat[0].item<bool>()) counts.insert(counts.begin(), 0);  // runs start with a 0-run
  return {{"format", "rle"}, {"height", mask.size(0)}, {"width", mask.size(1)}, {"counts", counts}};
}

}  // namespace draggan::server
