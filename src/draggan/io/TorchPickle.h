// Torch tensors inside a pickle tree, rebuilt without Python: `torch._utils._rebuild_tensor_v2(storage,
// offset, size, stride, ...)`, `_rebuild_parameter(tensor, ...)`, and the storages they view, which come
// either as persistent ids ('storage', storage_type, key, location, numel[, view_metadata]) resolved by the
// container (zip entries, or the bytes after a legacy torch.save stream) or, in a plain pickle.dump of a
// module, as `torch.storage._load_from_bytes(<a whole legacy torch.save stream>)`.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string_view>
#include <unordered_map>

#include "draggan/io/PickleValue.h"

namespace draggan {

// What a storage persistent id says.
struct StorageRef {
  torch::ScalarType dtype = torch::kFloat;
  std::string_view key;
  int64_t numel = 0;                           // elements of `dtype`
  const PickleValue* view_metadata = nullptr;  // legacy (view_key, offset, size) or null
};

// Throws CheckpointError (origin, offset) when `pid` is not a well-formed storage id of a supported dtype.
StorageRef parse_storage_ref(const PickleTree& tree, const PickleValue& pid);

class TorchTensors {
 public:
  // Returns the storage a persistent id names, as a flat tensor of exactly ref.numel elements of ref.dtype.
  using StorageLoader = std::function<torch::Tensor(const StorageRef& ref, const PickleValue& pid)>;

  explicit TorchTensors(PickleTree& tree, StorageLoader loader = {});

  // Is `v` a call of one of the tensor rebuild functions?
  static bool is_tensor(const PickleValue& v);
  // The tensor `v` describes, a view of its storage; every size, stride and offset is checked against it.
  torch::Tensor tensor(const PickleValue& v);

  // The storage of a Persistent node that a container already read (the legacy format reads them after the
  // pickle).
  void set_storage(const PickleValue* persistent, torch::Tensor storage) {
    storages_[persistent] = std::move(storage);
  }

  PickleTree& tree() { return tree_; }

 private:
  torch::Tensor call(const PickleValue& where, const PickleValue& callable, const PickleValue& args);
  torch::Tensor storage(const PickleValue& v);
  torch::Tensor load_from_bytes(const PickleValue& call);

  PickleTree& tree_;
  StorageLoader loader_;
  std::unordered_map<const PickleValue*, torch::Tensor> storages_;
  std::unordered_map<const PickleValue*, torch::Tensor> tensors_;
  int depth_ = 0;
};

// Parses a legacy (non-zip) torch.save stream: magic number, protocol 1001, sys_info, the object pickle, the
// storage key list, then each storage's int64 element count and raw bytes. Nodes go into `tree` (offsets are
// `base_offset` + position in `data`); storages are registered with `tensors`. Returns the object, and the
// bytes used in `*consumed` when given.
const PickleValue* read_legacy_torch_stream(TorchTensors& tensors, std::string_view data, size_t base_offset,
                                            size_t* consumed = nullptr);

}  // namespace draggan
