// TensorFlow network pickles (NVlabs/stylegan2 and stylegan2-ada TF: `pickle.dump((G, D, Gs))`), read with no
// code run. Each network is a `dnnlib.tflib.network.Network`, which pickles as NEWOBJ + BUILD with its
// __getstate__ dict {version, name, static_kwargs, components, build_module_src, build_func_name, variables,
// (v5:) input/output shapes and names}. As the official converter (legacy.py's _TFNetworkStub) does, the
// class is taken as a plain record of that state: the embedded module source is never looked at.
//
// This file only walks the structure into named variables (still views into the file's bytes) and static
// kwargs; what they mean for StyleGAN2 is TensorflowStyleGAN2's job.
#pragma once
#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "draggan/io/PickleValue.h"

namespace draggan {

struct TensorflowNetwork {
  std::string role;             // its place in the tuple, which is what counts: "G", "D" or "Gs"
  std::string name;             // the name it was built with (usually the same)
  std::string build_func_name;  // "G_main", "D_stylegan2", ...
  int64_t version = 0;          // of the pickled state: 4 (stylegan2), 5 (stylegan2-ada)
  nlohmann::json static_kwargs = nlohmann::json::object();
  // Every variable of the network and its components, under the names legacy.py collects: own variables by
  // their local name ("lod", "dlatent_avg"), a component's prefixed by its key ("synthesis/noise0",
  // "mapping/Dense0/weight"). Values are numpy arrays or numpy scalars, not yet checked.
  std::map<std::string, const PickleValue*> variables;
  // Build function of each component, for messages ("synthesis" -> "G_synthesis_stylegan2").
  std::map<std::string, std::string> component_funcs;
  const PickleValue* object = nullptr;  // the Network object, for offsets in messages
};

struct TensorflowNetworks {
  std::optional<TensorflowNetwork> G;  // the training generator (unused: Gs is the one to render with)
  std::optional<TensorflowNetwork> D;
  TensorflowNetwork Gs;  // the moving average of G, what legacy.py converts into G_ema
};

// Does the pickle hold TensorFlow networks: a Network at the top, or a tuple with one in it? Cheap; does not
// validate anything else (read_tensorflow_networks does, with precise errors).
bool is_tensorflow_pickle(const PickleTree& tree);

// The (G, D, Gs) tuple, or a lone Network (taken as Gs, without D). CheckpointError (origin, offset) on
// anything else: a tuple of another length, an item that is not a Network, a state without its fields or with
// fields of the wrong type, components nested absurdly deep or in a cycle.
TensorflowNetworks read_tensorflow_networks(PickleTree& tree);

// A variable's value (a numpy array, or a numpy scalar as TensorFlow returns 0-d variables) as a tensor of
// its own dtype: a view into the tree's bytes for arrays, so copy what you keep. `what` names it in errors
// ("Gs: variable 'lod'"); CheckpointError (origin, offset) for anything else or a malformed array.
torch::Tensor tensorflow_variable(PickleTree& tree, const PickleValue& value, const std::string& what);

}  // namespace draggan
