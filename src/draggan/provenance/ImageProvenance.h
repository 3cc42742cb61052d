// What made an image: the record every image file the project writes carries, for machines (the IPTC
// digital source type in XMP, which content-credential tools and image sites read) and for people (the edit
// record in plain PNG text chunks: model file and its hash, seed or the projected photo's hash, drags, version).
//
// Text chunks (keyword -> value; PNG keywords, so `exiftool` shows them as DragganModel, DragganSeed, ...):
//   Software               "draggan <version>"
//   Description            one sentence on how the image was made
//   draggan model          the model file's name (no folders)
//   draggan model sha256   SHA-256 of the model file
//   draggan seed / psi     the start image's seed and truncation
//   draggan latent sha256  SHA-256 of the saved start latent (.npy), when it started from one
//   draggan photo sha256   SHA-256 of the photo projected into the model, for an edited photo
//   draggan drags          JSON [{"points": [[hx, hy, tx, ty], ...], "steps": N, "mask": bool}, ...], in order
//   XML:com.adobe.xmp      the XMP packet (iTXt), with Iptc4xmpExt:DigitalSourceType
#pragma once
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace draggan {

enum class ImageOrigin {
  Generated,    // IPTC trainedAlgorithmicMedia: made by the generator from a seed or latent
  EditedPhoto,  // IPTC compositeWithTrainedAlgorithmicMedia: a real photo projected into the model (and dragged)
  Other,        // not made by a generator (a photo we only resized, a mask we drew): no AI source type is claimed
};

// One drag: handle -> target pairs as the user gave them (pixels, x = column) and the optimiser steps it ran.
struct DragEdit {
  std::vector<std::array<double, 4>> points;  // hx, hy, tx, ty
  int steps = 0;
  bool masked = false;
};

struct ImageProvenance {
  ImageOrigin origin = ImageOrigin::Generated;
  std::string model;         // file name of the generator's model file
  std::string model_sha256;  // its SHA-256
  std::optional<uint32_t> seed;
  std::optional<double> psi;
  std::string latent_sha256;
  std::string photo_sha256;
  std::vector<DragEdit> drags;
  std::string description;  // overrides the sentence the origin gives, when set (required for Other)

  // The record for an image of `model_path` (its name and the SHA-256 of the file).
  static ImageProvenance for_model(const std::string& model_path, const std::string& model_sha256);
};

// http://cv.iptc.org/newscodes/digitalsourcetype/... for the origin; empty for ImageOrigin::Other.
std::string digital_source_type(ImageOrigin origin);
// The XMP packet (UTF-8, with its xpacket wrapper).
std::string xmp_packet(const ImageProvenance& provenance);
// The text fields above, in order, without the XMP.
std::vector<std::pair<std::string, std::string>> provenance_text_fields(const ImageProvenance& provenance);
// The PNG keyword under which the XMP packet is stored (Adobe's XMP specification, part 3).
inline constexpr const char* kXmpPngKeyword = "XML:com.adobe.xmp";

// The record back from the text fields and XMP of a file (inverse of the two above for our files; fields it
// does not know are ignored). Throws InputError naming the field when a draggan field does not parse.
ImageProvenance provenance_from_text_fields(const std::vector<std::pair<std::string, std::string>>& fields,
                                            const std::string& xmp);

// The record as JSON, for documents that carry one (the editor's session file):
// {origin: "generated" | "edited photo" | "other", model, model_sha256, seed, psi, latent_sha256, photo_sha256,
//  drags: [{points, steps, mask}], description}, empty fields left out. from_json throws InputError naming
// the field (`origin` prefixes it).
nlohmann::json provenance_to_json(const ImageProvenance& provenance);
ImageProvenance provenance_from_json(const nlohmann::json& json, const std::string& origin);

// The DigitalSourceType URL an XMP packet names, or "" (a plain text search: enough for packets we write and
// for the usual attribute or element forms other tools write).
std::string digital_source_type_in_xmp(const std::string& xmp);

}  // namespace draggan
