#include "draggan/io/NvidiaPickle.h"

#include "draggan/core/Error.h"
#include "draggan/io/PickleJson.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/TorchModuleTree.h"
#include "draggan/io/TorchPickle.h"

namespace draggan {
namespace {

using Kind = PickleValue::Kind;

// Names of the positional Generator arguments, shared by both NVIDIA codebases.
constexpr const char* kGeneratorArgs[] = {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels"};

std::string keys_of(const PickleValue& dict) {
  std::string keys;
  for (const auto& [key, value] : *dict.dict_entries())
    if (key->is_string()) keys += (keys.empty() ? "" : ", ") + std::string(key->text);
  return keys.empty() ? "none" : keys;
}

PickledModule network(const PickleTree& tree, const PickleValue& root, const char* key) {
  const PickleValue* v = root.get(key);
  if (!v) tree.fail(root, "snapshot has no '" + std::string(key) + "' (keys: " + keys_of(root) + ")");
  auto module = as_module(*v);
  if (!module) tree.fail(*v, std::string(key) + " is " + describe(*v) + ", not a torch module");
  return *module;
}

std::string class_name(const PickledModule& m) {
  if (!m.persistent) return m.class_name;
  const std::string module = persistent_module_name(m.module_src);
  return module.empty() ? m.class_name : module + "." + m.class_name;
}

// init_kwargs with the positional init_args merged in under their names.
nlohmann::json init_kwargs(const PickleTree& tree, const PickledModule& m, bool is_generator) {
  nlohmann::json kwargs = nlohmann::json::object();
  if (const PickleValue* kw = m.dict->get("_init_kwargs"); kw && !kw->is_none())
    kwargs = pickle_to_json(tree, *kw);
  if (!kwargs.is_object()) tree.fail(*m.object, "init_kwargs is not a dict");
  const PickleValue* args = m.dict->get("_init_args");
  if (!args || args->items.empty()) return kwargs;
  if (!is_generator) {
    kwargs["__args__"] = pickle_to_json(tree, *args);
    return kwargs;
  }
  if (args->items.size() > std::size(kGeneratorArgs))
    tree.fail(*args, "Generator has " + std::to_string(args->items.size()) +
                         " positional init args; only the first five (z_dim .. img_channels) are understood");
  for (size_t k = 0; k < args->items.size(); ++k)
    kwargs[kGeneratorArgs[k]] = pickle_to_json(tree, *args->items[k]);
  return kwargs;
}

}  // namespace

NvidiaSnapshot read_nvidia_pkl(const std::string& path) { return read_nvidia_pkl(read_pickle_file(path)); }

NvidiaSnapshot read_nvidia_pkl(std::unique_ptr<PickleTree> tree) {
  const PickleValue& root = *tree->root();
  if (root.is(Kind::Tuple))
    tree->fail(root,
               "a tuple at the top, as TensorFlow network pickles have, but not of dnnlib.tflib.network.Network "
               "objects: not an NVIDIA PyTorch snapshot either");
  if (!root.is(Kind::Dict))
    tree->fail(root, "not an NVIDIA snapshot: the top is " + describe(root) + ", expected a dict");

  NvidiaSnapshot snap;
  TorchTensors tensors(*tree);
  const PickledModule g = network(*tree, root, "G_ema");
  snap.g_class_name = class_name(g);
  if (g.class_name != "Generator" && snap.g_class_name.substr(snap.g_class_name.rfind('.') + 1) != "Generator")
    tree->fail(*g.object, "G_ema is " + snap.g_class_name + ", not a Generator");
  snap.g_ema = module_state_dict(tensors, g);
  snap.g_init_kwargs = init_kwargs(*tree, g, true);

  if (const PickleValue* d = root.get("D"); d && !d->is_none()) {
    const PickledModule dm = network(*tree, root, "D");
    snap.discriminator = module_state_dict(tensors, dm);
    snap.d_init_kwargs = init_kwargs(*tree, dm, false);
  }
  return snap;
}

}  // namespace draggan
