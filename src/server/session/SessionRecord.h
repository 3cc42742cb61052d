// An EditorSession as the session store keeps it (store/SessionStore.h): a small JSON document that names its
// large parts (images as PNG, latents, the mask, tuned generators, the photo of an upload in progress) by the
// SHA-256 of their bytes, so that an edit commits a few kB and each large part is stored once.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "draggan/io/ModelFile.h"

namespace draggan::server {

struct SessionRecord {
  std::string doc;                               // JSON text
  std::vector<std::string> blob_refs;            // every hash the document names
  std::map<std::string, std::string> new_blobs;  // hash -> bytes of the parts encoded for the first time
  bool running = false;                          // the document says a drag or upload runs
};

// The blobs a record names, fetched in one go: hash -> bytes (a missing one absent).
using BlobFetcher = std::function<std::map<std::string, std::string>(const std::vector<std::string>&)>;

// The hashes of parts a session has encoded before, so that committing after a small edit encodes and hashes
// nothing large again. Keyed by the identity of immutable values (tensors and generators the session never
// changes in place), each held by the memo while remembered so that its address cannot be reused by another.
class BlobMemo {
 public:
  // Safetensors bytes of one tensor "t".
  std::string tensor(const torch::Tensor& t, std::map<std::string, std::string>& new_blobs);
  // `png` is the encoding of `image` (the key).
  std::string png(const torch::Tensor& image, const std::string& png, std::map<std::string, std::string>& new_blobs);
  std::string generator(const std::shared_ptr<LoadedModel>& model, std::map<std::string, std::string>& new_blobs);
  // Restored parts, known to be stored under `hash`.
  void remember(const torch::Tensor& t, const std::string& hash);
  void remember(const std::shared_ptr<LoadedModel>& model, const std::string& hash);
  void remember_png(const torch::Tensor& image, const std::string& hash);
  // Drops what the last record did not use (called after each record).
  void sweep();

 private:
  struct Entry {
    torch::Tensor tensor;
    std::shared_ptr<LoadedModel> model;
    std::string hash;
    bool used = true;
  };
  std::string remembered(const void* key);
  std::map<const void*, Entry> entries_;
};

// A tensor blob back (InputError-free: Error naming the hash when malformed).
torch::Tensor decode_tensor_blob(const std::string& bytes, const std::string& hash);

}  // namespace draggan::server
