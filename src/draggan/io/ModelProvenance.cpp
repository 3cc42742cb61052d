#include "draggan/io/ModelProvenance.h"

#include "draggan/io/Safetensors.h"
#include "draggan/provenance/Sha256.h"

namespace draggan {

ImageProvenance image_provenance_of(const LoadedModel& model, const std::string& model_sha256) {
  ImageProvenance p =
      ImageProvenance::for_model(model.path, model_sha256.empty() ? file_sha256_hex(model.path) : model_sha256);
  if (model.format == "safetensors") {
    // The header only: the tensors stay in the file's mapping and are never read.
    const SafetensorsFile file = read_safetensors(model.path);
    if (auto it = file.metadata.find(kSourcePhotoSha256Key); it != file.metadata.end() && !it->second.empty()) {
      p.origin = ImageOrigin::EditedPhoto;
      p.photo_sha256 = it->second;
    }
  }
  return p;
}

}  // namespace draggan
