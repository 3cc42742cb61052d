// The provenance record (provenance/ImageProvenance.h) of images a loaded model makes: its file's name and
// SHA-256, and whether they are an edited photo (a generator `draggan project` tuned to a photo records the
// photo's hash in its safetensors metadata, "source_photo_sha256").
#pragma once
#include <string>

#include "draggan/io/ModelFile.h"
#include "draggan/provenance/ImageProvenance.h"

namespace draggan {

// `model_sha256`: the file's digest when the caller already has it (the server hashes each model once); ""
// hashes the file at model.path. InputError when it cannot be read.
ImageProvenance image_provenance_of(const LoadedModel& model, const std::string& model_sha256 = "");

// The metadata key of a tuned generator's photo hash.
inline constexpr const char* kSourcePhotoSha256Key = "source_photo_sha256";

}  // namespace draggan
