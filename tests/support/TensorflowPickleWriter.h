// Test helper: writes TensorFlow network pickles the way NVlabs/stylegan2 does (`pickle.dump((G, D, Gs))`,
// protocol 3, each a dnnlib.tflib.network.Network as NEWOBJ + BUILD of its __getstate__ dict, variables as
// numpy float32 arrays and 0-d variables as numpy.float32 scalars), from our own StyleGAN2 modules laid out
// the TensorFlow way. Written independently of the reader's rule table, so a round trip checks the rules
// against a second statement of the TensorFlow layout; the official fixture pins that layout to the real one.
//
// Also the knobs the hostile-input tests need: any variable replaced by another value, wrong declared shapes,
// extra or missing kwargs and variables.
#pragma once
#include <torch/torch.h>

#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "draggan/nn/Discriminator.h"
#include "draggan/nn/stylegan2/Generator.h"

namespace draggan::test {

struct TfVariable {
  std::string name;
  torch::Tensor value;                              // float32; a 0-d tensor is written as a numpy scalar
  std::optional<std::vector<int64_t>> shape_claim;  // hostile: the shape the pickle states instead
  std::optional<std::string> as_string;             // hostile: a str instead of an array
};

struct TfNetwork {
  std::string name;
  std::string build_func_name;
  int64_t version = 4;
  nlohmann::json static_kwargs = nlohmann::json::object();
  std::vector<TfVariable> variables;
  std::vector<std::pair<std::string, TfNetwork>> components;

  TfVariable* find(const std::string& full_name) {
    for (TfVariable& v : variables)
      if (v.name == full_name) return &v;
    for (auto& [key, comp] : components)
      if (full_name.rfind(key + "/", 0) == 0)
        if (TfVariable* v = comp.find(full_name.substr(key.size() + 1))) return v;
    return nullptr;
  }
  bool erase(const std::string& full_name) {
    for (auto it = variables.begin(); it != variables.end(); ++it)
      if (it->name == full_name) {
        variables.erase(it);
        return true;
      }
    for (auto& [key, comp] : components)
      if (full_name.rfind(key + "/", 0) == 0 && comp.erase(full_name.substr(key.size() + 1))) return true;
    return false;
  }
};

// Pickle opcodes, protocol 3, no memo (a valid pickle; Python's unpickler needs no memo entries).
class PickleWriter {
 public:
  PickleWriter() { out_ += "\x80\x03"; }
  std::string finish() { return out_ + "."; }

  void global(const std::string& module, const std::string& name) {
    out_ += "c" + module + "\n" + name + "\n";
  }
  void none() { out_ += 'N'; }
  void boolean(bool b) { out_ += b ? '\x88' : '\x89'; }
  void integer(int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) {
      out_ += 'J';
      raw_le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      out_ += '\x8a';
      out_ += '\x08';
      raw_le(static_cast<uint64_t>(v), 8);
    }
  }
  void real(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    out_ += 'G';
    for (int k = 7; k >= 0; --k) out_ += static_cast<char>((bits >> (8 * k)) & 0xff);
  }
  void str(const std::string& s) {
    out_ += 'X';
    raw_le(s.size(), 4);
    out_ += s;
  }
  void bytes(const void* data, size_t n) {
    out_ += 'B';
    raw_le(n, 4);
    out_.append(static_cast<const char*>(data), n);
  }
  void mark() { out_ += '('; }
  void tuple() { out_ += 't'; }  // MARK ... TUPLE
  void empty_dict() { out_ += '}'; }
  void setitems() { out_ += 'u'; }  // dict MARK k v ... SETITEMS
  void empty_list() { out_ += ']'; }
  void appends() { out_ += 'e'; }  // list MARK items ... APPENDS
  void reduce() { out_ += 'R'; }
  void newobj_no_args() { out_ += ")\x81"; }
  void build() { out_ += 'b'; }
  void memo_put(uint32_t key) {
    out_ += 'r';
    raw_le(key, 4);
  }
  void memo_get(uint32_t key) {
    out_ += 'j';
    raw_le(key, 4);
  }
  void raw(const std::string& opcodes) { out_ += opcodes; }

  void json(const nlohmann::json& j) {
    if (j.is_null()) return none();
    if (j.is_boolean()) return boolean(j.get<bool>());
    if (j.is_number_integer()) return integer(j.get<int64_t>());
    if (j.is_number()) return real(j.get<double>());
    if (j.is_string()) return str(j.get<std::string>());
    if (j.is_array()) {
      empty_list();
      if (j.empty()) return;
      mark();
      for (const auto& item : j) json(item);
      appends();
      return;
    }
    empty_dict();
    if (j.empty()) return;
    mark();
    for (const auto& [key, value] : j.items()) {
      str(key);
      json(value);
    }
    setitems();
  }

  // numpy.dtype(code) with byte order '<', '>' or '|'.
  void dtype(const std::string& code = "f4", const std::string& order = "<") {
    global("numpy", "dtype");
    mark();
    str(code);
    boolean(false);
    boolean(true);
    tuple();
    reduce();
    mark();
    integer(3);
    str(order);
    none();
    none();
    none();
    integer(-1);
    integer(-1);
    integer(0);
    tuple();
    build();
  }

  // A float32 variable: numpy.core.multiarray._reconstruct + BUILD, or numpy.float32 scalar when 0-d.
  void variable_value(const TfVariable& v) {
    if (v.as_string) return str(*v.as_string);
    const torch::Tensor t = v.value.to(torch::kFloat).contiguous();
    if (t.dim() == 0 && !v.shape_claim) {
      global("numpy.core.multiarray", "scalar");
      mark();
      dtype();
      const float x = t.item<float>();
      bytes(&x, 4);
      tuple();
      reduce();
      return;
    }
    global("numpy.core.multiarray", "_reconstruct");
    mark();
    global("numpy", "ndarray");
    mark();
    integer(0);
    tuple();
    bytes("b", 1);
    tuple();
    reduce();
    mark();
    integer(1);
    mark();
    for (int64_t d : v.shape_claim ? *v.shape_claim : t.sizes().vec()) integer(d);
    tuple();
    dtype();
    boolean(false);
    bytes(t.data_ptr(), static_cast<size_t>(t.numel()) * 4);
    tuple();
    build();
  }

  void network(const TfNetwork& net) {
    global("dnnlib.tflib.network", "Network");
    newobj_no_args();
    empty_dict();
    mark();
    str("version");
    integer(net.version);
    str("name");
    str(net.name);
    str("static_kwargs");
    json(net.static_kwargs);
    str("components");
    empty_dict();
    if (!net.components.empty()) {
      mark();
      for (const auto& [key, comp] : net.components) {
        str(key);
        network(comp);
      }
      setitems();
    }
    str("build_module_src");
    str("# source omitted (test writer)");
    str("build_func_name");
    str(net.build_func_name);
    str("variables");
    empty_list();
    if (!net.variables.empty()) {
      mark();
      for (const TfVariable& v : net.variables) {
        mark();
        str(v.name);
        variable_value(v);
        tuple();
      }
      appends();
    }
    setitems();
    build();
  }

 private:
  void raw_le(uint64_t v, int n) {
    for (int k = 0; k < n; ++k) out_ += static_cast<char>((v >> (8 * k)) & 0xff);
  }
  std::string out_;
};

// `pickle.dump((G, D, Gs))` (three networks) or of a lone network.
inline std::string tf_pickle_bytes(const std::vector<const TfNetwork*>& networks) {
  PickleWriter w;
  if (networks.size() == 1) {
    w.network(*networks[0]);
  } else {
    w.mark();
    for (const TfNetwork* n : networks) w.network(*n);
    w.tuple();
  }
  return w.finish();
}

// ---- Our modules in the TensorFlow layout -----------------------------------------------------------------

// PyTorch [out, in, kh, kw] -> TF [kh, kw, in, out]; `rotated` for TF's up-sampling (transposed)
// convolutions, which apply their kernel rotated by 180 degrees.
inline torch::Tensor tf_kernel(const torch::Tensor& w, bool rotated = false) {
  return (rotated ? w.flip({2, 3}) : w).permute({2, 3, 1, 0}).contiguous();
}

// The style affine of a modulated layer: TF mod_weight [w_dim, in], mod_bias without the +1.
inline void add_modulated(std::vector<TfVariable>& vars, const std::string& scope, torch::nn::Module& layer,
                          bool rotated, bool with_noise) {
  auto p = layer.named_parameters(true);
  vars.push_back({scope + "/weight", tf_kernel(p["weight"], rotated)});
  vars.push_back({scope + "/mod_weight", p["affine.weight"].t().contiguous()});
  vars.push_back({scope + "/mod_bias", p["affine.bias"] - 1});
  if (with_noise) vars.push_back({scope + "/noise_strength", p["noise_strength"].clone()});
  vars.push_back({scope + "/bias", p["bias"].clone()});
}

// What NVlabs/stylegan2 pickles for G / Gs (G_main with G_synthesis_stylegan2 and G_mapping components).
inline TfNetwork tf_generator_network(Generator& g, const nlohmann::json& static_kwargs,
                                      const std::string& name = "Gs") {
  torch::NoGradGuard no_grad;
  const GeneratorConfig& c = g->config();
  auto buffers = g->named_buffers(true);
  auto params = g->named_parameters(true);

  TfNetwork synthesis{"G_synthesis", "G_synthesis_stylegan2", 4, static_kwargs};
  const int num_layers = c.num_ws() - 1;  // conv layers; TF has one noise input per conv layer
  for (int i = 0; c.use_noise && i < num_layers; ++i) {
    const int r = 1 << ((i + 5) / 2);
    const std::string conv = r == 4 ? "conv1" : (i % 2 == 1 ? "conv0" : "conv1");
    torch::Tensor n = buffers["synthesis.b" + std::to_string(r) + "." + conv + ".noise_const"];
    synthesis.variables.push_back({"noise" + std::to_string(i), n.reshape({1, 1, r, r}).clone()});
  }
  for (int r : c.block_resolutions()) {
    const std::string res = std::to_string(r) + "x" + std::to_string(r);
    const std::string b = "b" + std::to_string(r);
    torch::nn::Module& block = *g->synthesis->named_children()[b];
    auto children = block.named_children();
    if (r == 4) {
      synthesis.variables.push_back(
          {res + "/Const/const", params["synthesis.b4.const"].unsqueeze(0).clone()});
      add_modulated(synthesis.variables, res + "/Conv", *children["conv1"], false, c.use_noise);
    } else {
      add_modulated(synthesis.variables, res + "/Conv0_up", *children["conv0"], true, c.use_noise);
      add_modulated(synthesis.variables, res + "/Conv1", *children["conv1"], false, c.use_noise);
      if (children.contains("skip"))
        synthesis.variables.push_back(
            {res + "/Skip/weight", tf_kernel(params["synthesis." + b + ".skip.weight"], true)});
    }
    if (children.contains("torgb")) {
      auto t = children["torgb"]->named_parameters(true);
      synthesis.variables.push_back({res + "/ToRGB/weight", tf_kernel(t["weight"])});
      synthesis.variables.push_back({res + "/ToRGB/mod_weight", t["affine.weight"].t().contiguous()});
      synthesis.variables.push_back({res + "/ToRGB/mod_bias", t["affine.bias"] - 1});
      synthesis.variables.push_back({res + "/ToRGB/bias", t["bias"].clone()});
    }
  }

  nlohmann::json mapping_kwargs = static_kwargs;
  mapping_kwargs["dlatent_broadcast"] = c.num_ws();
  TfNetwork mapping{"G_mapping", "G_mapping", 4, mapping_kwargs};
  if (c.c_dim > 0) {
    mapping.variables.push_back({"LabelEmbed/weight", params["mapping.embed.weight"].t().contiguous()});
    mapping.variables.push_back({"LabelEmbed/bias", params["mapping.embed.bias"].clone()});
  }
  for (int i = 0; i < c.mapping_layers; ++i) {
    const std::string fc = "mapping.fc" + std::to_string(i);
    mapping.variables.push_back(
        {"Dense" + std::to_string(i) + "/weight", params[fc + ".weight"].t().contiguous()});
    mapping.variables.push_back({"Dense" + std::to_string(i) + "/bias", params[fc + ".bias"].clone()});
  }

  TfNetwork net{name, "G_main", 4, static_kwargs};
  net.variables.push_back({"lod", torch::zeros({})});
  net.variables.push_back({"dlatent_avg", buffers["mapping.w_avg"].clone()});
  net.components = {{"synthesis", synthesis}, {"mapping", mapping}};
  return net;
}

// What NVlabs/stylegan2 pickles for D (D_stylegan2, resnet).
inline TfNetwork tf_discriminator_network(Discriminator& d, const nlohmann::json& static_kwargs) {
  torch::NoGradGuard no_grad;
  auto p = d->named_parameters(true);
  TfNetwork net{"D", "D_stylegan2", 4, static_kwargs};
  for (int r : d->config().block_resolutions()) {
    const std::string res = std::to_string(r) + "x" + std::to_string(r);
    const std::string b = "b" + std::to_string(r) + ".";
    if (p.contains(b + "fromrgb.weight")) {
      net.variables.push_back({res + "/FromRGB/weight", tf_kernel(p[b + "fromrgb.weight"])});
      net.variables.push_back({res + "/FromRGB/bias", p[b + "fromrgb.bias"].clone()});
    }
    net.variables.push_back({res + "/Conv0/weight", tf_kernel(p[b + "conv0.weight"])});
    net.variables.push_back({res + "/Conv0/bias", p[b + "conv0.bias"].clone()});
    net.variables.push_back({res + "/Conv1_down/weight", tf_kernel(p[b + "conv1.weight"])});
    net.variables.push_back({res + "/Conv1_down/bias", p[b + "conv1.bias"].clone()});
    if (p.contains(b + "skip.weight"))
      net.variables.push_back({res + "/Skip/weight", tf_kernel(p[b + "skip.weight"])});
  }
  net.variables.push_back({"4x4/Conv/weight", tf_kernel(p["b4.conv.weight"])});
  net.variables.push_back({"4x4/Conv/bias", p["b4.conv.bias"].clone()});
  net.variables.push_back({"4x4/Dense0/weight", p["b4.fc.weight"].t().contiguous()});
  net.variables.push_back({"4x4/Dense0/bias", p["b4.fc.bias"].clone()});
  net.variables.push_back({"Output/weight", p["b4.out.weight"].t().contiguous()});
  net.variables.push_back({"Output/bias", p["b4.out.bias"].clone()});
  return net;
}

// A random generator/discriminator pair with every parameter mattering (biases, noise strengths and styles
// off their neutral values), in the official TF static kwargs' terms.
struct RandomStyleGAN2 {
  GeneratorConfig g_config;
  DiscriminatorConfig d_config;
  Generator G{nullptr};
  Discriminator D{nullptr};
};

inline void perturb(torch::nn::Module& m, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto gen = at::detail::createCPUGenerator(seed);
  for (auto& p : m.named_parameters(true)) {
    const std::string& name = p.key();
    torch::Tensor t = p.value();
    // Biases near their start (styles near 1), so that TF's "mod_bias + 1" round-trips exactly.
    if (name.find("bias") != std::string::npos || name.find("noise_strength") != std::string::npos)
      t.add_(at::randn(t.sizes(), gen) * 0.1);
  }
  for (auto& b : m.named_buffers(true))
    if (b.key().find("w_avg") != std::string::npos) b.value().copy_(at::randn(b.value().sizes(), gen) * 0.5);
}

}  // namespace draggan::test
