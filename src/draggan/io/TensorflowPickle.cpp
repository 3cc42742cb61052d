#include "draggan/io/TensorflowPickle.h"

#include <unordered_set>
#include <variant>

#include "draggan/io/PickleJson.h"
#include "draggan/io/PickleNumpy.h"

namespace draggan {
namespace {

using Kind = PickleValue::Kind;

// G_main has one level of components (mapping, synthesis); anything far deeper is not a real network.
constexpr int kMaxComponentDepth = 8;
constexpr const char* kRoles[] = {"G", "D", "Gs"};

bool is_network(const PickleValue& v) {
  return v.is(Kind::Object) && v.qualified_name() == "dnnlib.tflib.network.Network";
}

class NetworkWalker {
 public:
  explicit NetworkWalker(PickleTree& tree) : tree_(tree) {}

  TensorflowNetwork read(const PickleValue& object, const std::string& role) {
    TensorflowNetwork net;
    net.role = role;
    net.object = &object;
    const PickleValue& state = state_of(object, role);
    net.version = field(state, "version", Kind::Int, role).int_value;
    net.name = std::string(field(state, "name", Kind::String, role).text);
    net.build_func_name = std::string(field(state, "build_func_name", Kind::String, role).text);
    const PickleValue& kwargs = field(state, "static_kwargs", Kind::Dict, role);
    net.static_kwargs = pickle_to_json(tree_, kwargs);
    collect(net, object, state, "", 0);
    return net;
  }

 private:
  const PickleValue& state_of(const PickleValue& object, const std::string& where) {
    if (!is_network(object))
      tree_.fail(object, where + " is " + describe(object) + ", expected a dnnlib.tflib.network.Network");
    if (!object.state || !object.state->is(Kind::Dict))
      tree_.fail(object, where + ": the Network's state is " +
                             (object.state ? describe(*object.state) : std::string("missing")) +
                             ", expected the dict Network.__getstate__ returns");
    return *object.state;
  }

  const PickleValue& field(const PickleValue& state, const char* key, Kind kind, const std::string& where) {
    const PickleValue* v = state.get(key);
    if (!v) tree_.fail(state, where + ": the Network's state has no '" + key + "'");
    if (!v->is(kind))
      tree_.fail(*v, where + ": '" + key + "' is " + describe(*v) + ", expected a " + kind_name(kind));
    return *v;
  }

  // legacy.py's _collect_tf_params: own variables first, then each component's under "<key>/", recursively;
  // a later name replaces an earlier one, as in a Python dict.
  void collect(TensorflowNetwork& net, const PickleValue& object, const PickleValue& state,
               const std::string& prefix, int depth) {
    const std::string where =
        net.role + (prefix.empty() ? "" : " component '" + prefix.substr(0, prefix.size() - 1) + "'");
    if (depth > kMaxComponentDepth)
      tree_.fail(object, where + ": components nested deeper than " + std::to_string(kMaxComponentDepth));
    if (!on_path_.insert(&object).second) tree_.fail(object, where + ": a component contains itself");
    const PickleValue& variables = field(state, "variables", Kind::List, where);
    for (const PickleValue* item : variables.items) {
      if (!item->is(Kind::Tuple) || item->items.size() != 2 || !item->items[0]->is_string())
        tree_.fail(*item, where + ": a variables entry is " + describe(*item) + ", expected (name, value)");
      net.variables[prefix + std::string(item->items[0]->text)] = item->items[1];
    }
    if (const PickleValue* components = state.get("components"); components && !components->is_none()) {
      if (!components->is(Kind::Dict))
        tree_.fail(*components, where + ": 'components' is " + describe(*components) + ", expected a dict");
      for (const auto& [key, component] : components->entries) {
        if (!key->is_string())
          tree_.fail(*key, where + ": a component key is " + describe(*key) + ", expected a str");
        const std::string name = prefix + std::string(key->text);
        const std::string sub = net.role + " component '" + name + "'";
        const PickleValue& sub_state = state_of(*component, sub);
        net.component_funcs[name] = std::string(field(sub_state, "build_func_name", Kind::String, sub).text);
        collect(net, *component, sub_state, name + "/", depth + 1);
      }
    }
    on_path_.erase(&object);
  }

  PickleTree& tree_;
  std::unordered_set<const PickleValue*> on_path_;
};

}  // namespace

bool is_tensorflow_pickle(const PickleTree& tree) {
  const PickleValue* root = tree.root();
  if (!root) return false;
  if (is_network(*root)) return true;
  if (!root->is(Kind::Tuple)) return false;
  for (const PickleValue* item : root->items)
    if (is_network(*item)) return true;
  return false;
}

TensorflowNetworks read_tensorflow_networks(PickleTree& tree) {
  const PickleValue& root = *tree.root();
  NetworkWalker walker(tree);
  if (is_network(root)) return TensorflowNetworks{std::nullopt, std::nullopt, walker.read(root, "Gs")};
  if (!root.is(Kind::Tuple) || root.items.size() != 3)
    tree.fail(root,
              "a TensorFlow network pickle holds the tuple (G, D, Gs); this one holds a " + describe(root));
  TensorflowNetworks nets;
  nets.G = walker.read(*root.items[0], kRoles[0]);
  nets.D = walker.read(*root.items[1], kRoles[1]);
  nets.Gs = walker.read(*root.items[2], kRoles[2]);
  return nets;
}

torch::Tensor tensorflow_variable(PickleTree& tree, const PickleValue& value, const std::string& what) {
  if (is_numpy_array(value)) return numpy_array(tree, value, what).tensor();
  if (const std::optional<NumpyScalar> scalar = numpy_scalar(value)) {
    return std::visit(
        [](auto x) -> torch::Tensor {
          using T = decltype(x);
          if constexpr (std::is_same_v<T, double>)
            return torch::scalar_tensor(x, torch::kDouble);
          else if constexpr (std::is_same_v<T, bool>)
            return torch::scalar_tensor(x, torch::kBool);
          else
            return torch::scalar_tensor(static_cast<int64_t>(x), torch::kLong);
        },
        *scalar);
  }
  tree.fail(value, what + " is " + describe(value) + ", expected a numpy array");
}

}  // namespace draggan
