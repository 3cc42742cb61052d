// Reads back the provenance record a PNG, APNG or GIF file carries (`draggan info IMAGE`): its text chunks
// (or GIF comment lines) and XMP packet, without decoding the pixels.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace draggan {

struct ImageRecord {
  std::string format;  // "PNG", "APNG" or "GIF"
  int width = 0, height = 0;
  std::vector<std::pair<std::string, std::string>> text;  // in file order, the XMP packet left out
  std::string xmp;                                        // "" when the file has none
};

// True when the file starts like a PNG or GIF (what read_image_record reads).
bool looks_like_png_or_gif(const std::string& path);
// PNG/APNG: the text chunks before the image data (where every writer we know puts them, ours included) and the
// XMP iTXt chunk. GIF: the comment and XMP extensions anywhere in the file (ours follow the last frame). Throws InputError naming the file
// when it is neither or is damaged.
ImageRecord read_image_record(const std::string& path);
// The same from a PNG's bytes; `origin` names it in errors.
ImageRecord read_png_record(const std::string& png, const std::string& origin);

}  // namespace draggan
