#include "draggan/provenance/GeneratedMark.h"

#include <algorithm>
#include <string>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

constexpr const char* kMarkText = "AI Generated";
constexpr int kGlyphHeight = 7;

// 5x7 glyphs of the letters the mark uses ('#' = ink). Each glyph is as wide as its widest row, so 'I' and
// 't' take less room than 'G'.
const std::vector<std::string>& glyph(char c) {
  static const std::vector<std::string> kA{".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"};
  static const std::vector<std::string> kI{"###", ".#.", ".#.", ".#.", ".#.", ".#.", "###"};
  static const std::vector<std::string> kG{".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".###."};
  static const std::vector<std::string> ke{".....", ".....", ".###.", "#...#", "#####", "#....", ".###."};
  static const std::vector<std::string> kn{".....", ".....", "####.", "#...#", "#...#", "#...#", "#...#"};
  static const std::vector<std::string> kr{".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."};
  static const std::vector<std::string> ka{".....", ".....", ".###.", "....#", ".####", "#...#", ".####"};
  static const std::vector<std::string> kt{".#..", ".#..", "###.", ".#..", ".#..", ".#.#", "..#."};
  static const std::vector<std::string> kd{"....#", "....#", ".####", "#...#", "#...#", "#...#", ".####"};
  static const std::vector<std::string> kSpace{"..", "..", "..", "..", "..", "..", ".."};
  switch (c) {
    case 'A': return kA;
    case 'I': return kI;
    case 'G': return kG;
    case 'e': return ke;
    case 'n': return kn;
    case 'r': return kr;
    case 'a': return ka;
    case 't': return kt;
    case 'd': return kd;
    default: return kSpace;
  }
}

// The text as a float [7, width] ink mask (1 = ink), one column of space between letters.
torch::Tensor text_mask(const std::string& text) {
  int width = 0;
  for (char c : text) width += static_cast<int>(glyph(c)[0].size()) + 1;
  width -= 1;
  torch::Tensor mask = torch::zeros({kGlyphHeight, width}, torch::kFloat32);
  auto ink = mask.accessor<float, 2>();
  int x0 = 0;
  for (char c : text) {
    const auto& rows = glyph(c);
    for (int y = 0; y < kGlyphHeight; ++y)
      for (size_t x = 0; x < rows[y].size(); ++x)
        if (rows[y][x] == '#') ink[y][x0 + static_cast<int>(x)] = 1.0f;
    x0 += static_cast<int>(rows[0].size()) + 1;
  }
  return mask;
}

}  // namespace

int generated_mark_enlargement(int64_t height, int64_t width) {
  if (height <= 0 || width <= 0) return 1;
  const int64_t by_width = (kMarkMinWidth + width - 1) / width;
  const int64_t by_height = (kMarkMinHeight + height - 1) / height;
  return static_cast<int>(std::max<int64_t>({1, by_width, by_height}));
}

torch::Tensor enlarge_nearest(const torch::Tensor& image, int factor) {
  if (factor < 1) throw InputError("enlarge_nearest: factor must be >= 1, got " + std::to_string(factor));
  if (factor == 1) return image;
  return image.repeat_interleave(factor, 0).repeat_interleave(factor, 1);
}

torch::Tensor mark_as_generated(const torch::Tensor& image_in) {
  if (!image_in.defined() || image_in.scalar_type() != torch::kUInt8 || image_in.dim() < 2 || image_in.dim() > 3 ||
      (image_in.dim() == 3 && (image_in.size(2) < 1 || image_in.size(2) > 4)))
    throw InputError("AI mark: expected a uint8 [H, W, C] image with 1 to 4 channels");
  const bool flat = image_in.dim() == 2;
  torch::Tensor image = flat ? image_in.unsqueeze(2) : image_in;
  image = enlarge_nearest(image.to(torch::kCPU), generated_mark_enlargement(image.size(0), image.size(1)));
  const int64_t height = image.size(0), width = image.size(1), channels = image.size(2);

  const int64_t scale = std::max<int64_t>(1, width / kMarkMinWidth);
  const int64_t margin = std::max<int64_t>(2, (width * 10 + 256) / 512);
  const int64_t outline = scale;  // the dark edge around each letter, in image pixels
  torch::Tensor ink = text_mask(kMarkText);
  ink = ink.repeat_interleave(scale, 0).repeat_interleave(scale, 1);
  // The box holding the letters and their outline, clipped to the image for very narrow, tall images.
  const int64_t box_h = ink.size(0) + 2 * outline, box_w = ink.size(1) + 2 * outline;
  const int64_t top = std::max<int64_t>(0, height - margin - box_h), left = std::max<int64_t>(0, width - margin - box_w);
  const int64_t h = std::min(box_h, height - top), w = std::min(box_w, width - left);
  ink = torch::constant_pad_nd(ink, {outline, outline, outline, outline});
  const torch::Tensor halo =
      torch::max_pool2d(ink.view({1, 1, box_h, box_w}), {2 * outline + 1, 2 * outline + 1}, {1, 1}, {outline, outline})
          .view({box_h, box_w});
  ink = ink.slice(0, 0, h).slice(1, 0, w).unsqueeze(2);
  const torch::Tensor shadow = halo.slice(0, 0, h).slice(1, 0, w).unsqueeze(2);

  torch::Tensor out = image.clone();
  torch::Tensor region = out.slice(0, top, top + h).slice(1, left, left + w);
  torch::Tensor pixels = region.to(torch::kFloat32);
  const bool has_alpha = channels == 2 || channels == 4;
  const torch::Tensor colour = has_alpha ? pixels.slice(2, 0, channels - 1) : pixels;
  // Dark outline at 55%, then white letters at 80%: the letters stay readable on white and on black.
  torch::Tensor blended = colour * (1 - 0.55f * shadow);
  blended = blended * (1 - 0.8f * ink) + 255.0f * 0.8f * ink;
  if (has_alpha) {  // the mark is opaque where it is drawn, whatever lies under it
    torch::Tensor alpha = pixels.slice(2, channels - 1, channels);
    alpha = torch::maximum(alpha, 255.0f * shadow * 0.55f);
    blended = torch::cat({blended, alpha}, 2);
  }
  region.copy_(blended.round().clamp(0, 255).to(torch::kUInt8));
  return flat ? out.squeeze(2) : out;
}

}  // namespace draggan
