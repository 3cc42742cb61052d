#include "draggan/io/TorchModuleTree.h"

namespace draggan {
namespace {

using Kind = PickleValue::Kind;

constexpr int kMaxDepth = 64;
// Modules shared through the memo are walked at every use; this bounds what a hostile file can make us visit.
constexpr size_t kMaxModuleVisits = size_t{1} << 22;

bool is_module_dict(const PickleValue* d) {
  return d && d->dict_entries() && (d->get("_parameters") || d->get("_modules"));
}

// Names in _non_persistent_buffers_set are left out of state_dict(), as torch does.
bool is_non_persistent(const PickleValue& dict, std::string_view name) {
  const PickleValue* set = dict.get("_non_persistent_buffers_set");
  if (!set) return false;
  for (const PickleValue* item : set->items)
    if (item->is_string() && item->text == name) return true;
  return false;
}

void collect(TorchTensors& tensors, const PickledModule& module, const std::string& prefix, int depth,
             size_t& budget, StateDict& out) {
  const PickleTree& tree = tensors.tree();
  if (depth > kMaxDepth) tree.fail(*module.object, "modules nested deeper than " + std::to_string(kMaxDepth));
  if (budget-- == 0)
    tree.fail(*module.object, "more than " + std::to_string(kMaxModuleVisits) + " modules to walk");
  for (const char* group : {"_parameters", "_buffers"}) {
    const PickleValue* entries = module.dict->get(group);
    if (!entries || entries->is_none()) continue;
    if (!entries->dict_entries())
      tree.fail(*entries, prefix + group + " is " + describe(*entries) + ", expected a dict");
    for (const auto& [key, value] : *entries->dict_entries()) {
      if (!key->is_string())
        tree.fail(*key, prefix + group + " key is " + describe(*key) + ", expected a str");
      if (value->is_none()) continue;
      if (group[1] == 'b' && is_non_persistent(*module.dict, key->text)) continue;
      out[prefix + std::string(key->text)] = tensors.tensor(*value);
    }
  }
  const PickleValue* children = module.dict->get("_modules");
  if (!children || children->is_none()) return;
  if (!children->dict_entries())
    tree.fail(*children, prefix + "_modules is " + describe(*children) + ", expected a dict");
  for (const auto& [key, value] : *children->dict_entries()) {
    if (!key->is_string()) tree.fail(*key, prefix + "_modules key is " + describe(*key) + ", expected a str");
    if (value->is_none()) continue;
    auto child = as_module(*value);
    if (!child)
      tree.fail(*value, prefix + std::string(key->text) + " is " + describe(*value) + ", not a module");
    collect(tensors, *child, prefix + std::string(key->text) + ".", depth + 1, budget, out);
  }
}

}  // namespace

std::optional<PickledModule> as_module(const PickleValue& v) {
  if (!v.is(Kind::Object)) return std::nullopt;
  PickledModule m;
  m.object = &v;
  if (v.is_call_of("torch_utils.persistence", "_reconstruct_persistent_obj")) {
    if (v.args->items.size() != 1) return std::nullopt;
    const PickleValue& meta = *v.args->items[0];
    const PickleValue* type = meta.get("type");
    const PickleValue* name = meta.get("class_name");
    const PickleValue* src = meta.get("module_src");
    if (!type || !type->is_string() || type->text != "class" || !name || !name->is_string())
      return std::nullopt;
    m.dict = meta.get("state");
    m.class_name = std::string(name->text);
    m.persistent = true;
    if (src && src->is_string()) m.module_src = src->text;
  } else {
    m.dict = v.state;
    m.class_name = v.qualified_name();
  }
  if (!is_module_dict(m.dict)) return std::nullopt;
  return m;
}

StateDict module_state_dict(TorchTensors& tensors, const PickledModule& module) {
  StateDict out;
  size_t budget = kMaxModuleVisits;
  collect(tensors, module, "", 0, budget, out);
  return out;
}

std::string persistent_module_name(std::string_view src) {
  // The fixture in tests/data stores "# source omitted: <module>" instead of the source.
  constexpr std::string_view kOmitted = "# source omitted: ";
  if (src.substr(0, kOmitted.size()) == kOmitted) {
    std::string_view rest = src.substr(kOmitted.size());
    return std::string(rest.substr(0, rest.find('\n')));
  }
  if (src.find("class SynthesisInput(") != std::string_view::npos) return "training.networks_stylegan3";
  if (src.find("class SynthesisBlock(") != std::string_view::npos) return "training.networks_stylegan2";
  return {};
}

}  // namespace draggan
