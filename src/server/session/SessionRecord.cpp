#include "server/session/SessionRecord.h"

#include "draggan/core/Error.h"
#include "draggan/io/Safetensors.h"
#include "server/session/TunedModel.h"
#include "draggan/core/Digest.h"

namespace draggan::server {

std::string BlobMemo::remembered(const void* key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return {};
  it->second.used = true;
  return it->second.hash;
}

std::string BlobMemo::tensor(const torch::Tensor& t, std::map<std::string, std::string>& new_blobs) {
  const void* key = t.unsafeGetTensorImpl();
  if (std::string hash = remembered(key); !hash.empty()) return hash;
  std::string bytes = safetensors_bytes({{"t", t.detach().cpu()}}, {}, "session tensor");
  std::string hash = sha256_hex(bytes);
  entries_[key] = {t, nullptr, hash, true};
  new_blobs.emplace(hash, std::move(bytes));
  return hash;
}

namespace {
// The PNG of an image is remembered apart from the image tensor's own blob: a key inside the same object.
const void* png_key(const torch::Tensor& image) {
  return reinterpret_cast<const char*>(image.unsafeGetTensorImpl()) + 1;
}
}  // namespace

std::string BlobMemo::png(const torch::Tensor& image, const std::string& png, std::map<std::string, std::string>& new_blobs) {
  const void* key = png_key(image);
  if (std::string hash = remembered(key); !hash.empty()) return hash;
  std::string hash = sha256_hex(png);
  entries_[key] = {image, nullptr, hash, true};
  new_blobs.emplace(hash, png);
  return hash;
}

std::string BlobMemo::generator(const std::shared_ptr<LoadedModel>& model, std::map<std::string, std::string>& new_blobs) {
  const void* key = model.get();
  if (std::string hash = remembered(key); !hash.empty()) return hash;
  std::string bytes = safetensors_bytes(tuned_weights(*model), {}, "tuned generator");
  std::string hash = sha256_hex(bytes);
  entries_[key] = {torch::Tensor(), model, hash, true};
  new_blobs.emplace(hash, std::move(bytes));
  return hash;
}

void BlobMemo::remember(const torch::Tensor& t, const std::string& hash) {
  entries_[t.unsafeGetTensorImpl()] = {t, nullptr, hash, true};
}

void BlobMemo::remember(const std::shared_ptr<LoadedModel>& model, const std::string& hash) {
  entries_[model.get()] = {torch::Tensor(), model, hash, true};
}

void BlobMemo::remember_png(const torch::Tensor& image, const std::string& hash) {
  entries_[png_key(image)] = {image, nullptr, hash, true};
}

void BlobMemo::sweep() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->second.used) {
      it = entries_.erase(it);
    } else {
      it->second.used = false;
      ++it;
    }
  }
}

torch::Tensor decode_tensor_blob(const std::string& bytes, const std::string& hash) {
  SafetensorsFile file = parse_safetensors(bytes, "stored blob " + hash.substr(0, 16));
  auto it = file.tensors.find("t");
  if (it == file.tensors.end()) throw Error("stored blob " + hash.substr(0, 16) + ": not a tensor");
  return it->second;
}

}  // namespace draggan::server
