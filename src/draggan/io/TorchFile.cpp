#include "draggan/io/TorchFile.h"

#include <fstream>

#include "draggan/core/Error.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/ZipArchive.h"

namespace draggan {
namespace {

constexpr int kMaxNesting = 32;
// Dicts shared through the memo are walked at every use; this bounds the walk for a hostile file.
constexpr size_t kMaxDictVisits = size_t{1} << 22;

TorchFile read_zip(const std::string& path) {
  auto archive = std::make_shared<ZipArchive>(path);
  // The folder inside is named after the file torch.save wrote ("archive" since 1.13, the stem before).
  const ZipEntry* pkl = nullptr;
  for (const ZipEntry& e : archive->entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && e.name.compare(slash + 1, std::string::npos, "data.pkl") == 0) pkl = &e;
  }
  if (!pkl) throw CheckpointError(path + ": zip archive without <name>/data.pkl (not a torch.save file)");
  const std::string prefix = pkl->name.substr(0, pkl->name.size() - std::string("data.pkl").size());
  if (const ZipEntry* order = archive->find(prefix + "byteorder"); order && archive->read(*order) != "little")
    throw CheckpointError(path + ": big-endian torch.save files are not supported");

  TorchFile file;
  file.tree = std::make_unique<PickleTree>(archive->read(*pkl), path + ":" + pkl->name);
  auto loader = [archive, prefix, path](const StorageRef& ref, const PickleValue&) {
    const std::string name = prefix + "data/" + std::string(ref.key);
    const ZipEntry* entry = archive->find(name);
    if (!entry) throw CheckpointError(path + ": storage entry " + name + " is missing");
    const uint64_t item = c10::elementSize(ref.dtype);
    if (static_cast<uint64_t>(ref.numel) > entry->size / item || entry->size != ref.numel * item)
      throw CheckpointError(path + ": storage entry " + name + " has " + std::to_string(entry->size) +
                            " bytes, expected " + std::to_string(ref.numel) + " elements of " +
                            std::to_string(item) + " bytes");
    torch::Tensor st = torch::empty({ref.numel}, torch::TensorOptions().dtype(ref.dtype));
    archive->read(*entry, st.data_ptr(), entry->size);
    return st;
  };
  file.tensors = std::make_unique<TorchTensors>(*file.tree, loader);
  file.root = read_pickle(*file.tree, file.tree->data(), 0);
  file.tree->set_root(file.root);
  return file;
}

TorchFile read_legacy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  TorchFile file;
  file.tree = std::make_unique<PickleTree>(std::move(bytes), path);
  file.tensors = std::make_unique<TorchTensors>(*file.tree);
  file.root = read_legacy_torch_stream(*file.tensors, file.tree->data(), 0);
  file.tree->set_root(file.root);
  return file;
}

void collect(TorchTensors& tensors, const PickleValue& dict, const std::string& prefix, int depth,
             size_t& budget, StateDict& out) {
  if (depth > kMaxNesting)
    tensors.tree().fail(dict, "dicts nested deeper than " + std::to_string(kMaxNesting));
  if (budget-- == 0) tensors.tree().fail(dict, "more than " + std::to_string(kMaxDictVisits) + " dicts to walk");
  for (const auto& [key, value] : *dict.dict_entries()) {
    if (!key->is_string()) continue;
    const std::string name = prefix + std::string(key->text);
    if (TorchTensors::is_tensor(*value)) {
      out[name] = tensors.tensor(*value);
    } else if (value->is(PickleValue::Kind::Dict) ||
               (value->is(PickleValue::Kind::Object) && !value->entries.empty())) {
      collect(tensors, *value, name + ".", depth + 1, budget, out);
    }
  }
}

}  // namespace

TorchFile read_torch_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open");
  char head[2] = {};
  in.read(head, 2);
  in.close();
  if (head[0] == 'P' && head[1] == 'K') return read_zip(path);
  return read_legacy(path);
}

StateDict tensor_dict(TorchTensors& tensors, const PickleValue& dict) {
  if (!dict.dict_entries()) tensors.tree().fail(dict, "expected a dict of tensors, found " + describe(dict));
  StateDict out;
  size_t budget = kMaxDictVisits;
  collect(tensors, dict, "", 0, budget, out);
  return out;
}

}  // namespace draggan
