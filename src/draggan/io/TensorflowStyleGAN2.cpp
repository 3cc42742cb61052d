#include "draggan/io/TensorflowStyleGAN2.h"

#include <cmath>
#include <functional>
#include <regex>
#include <sstream>
#include <vector>

#include "draggan/core/Error.h"
#include "draggan/core/Log.h"
#include "draggan/io/NvidiaKwargs.h"
#include "draggan/io/PickleReader.h"
#include "draggan/io/TensorflowKwargs.h"
#include "draggan/io/TensorflowPickle.h"
#include "draggan/nn/Discriminator.h"
#include "draggan/nn/stylegan2/Generator.h"

namespace draggan {
namespace {

// How a TensorFlow variable is laid out compared to the PyTorch tensor it becomes.
enum class Layout {
  Same,   // biases, noise strengths, dlatent_avg -> w_avg
  Dense,  // TF keeps fully-connected weights as [in, out]; PyTorch as [out, in]
  Conv,   // TF kernels are [kh, kw, in, out]; PyTorch's [out, in, kh, kw]
  // TF's up-sampling convolutions are transposed convolutions, which apply the kernel rotated by 180 degrees;
  // the PyTorch layer correlates with the kernel as stored, so it is stored rotated.
  ConvRotated,
  Const,    // the 4x4 input is a variable [1, C, 4, 4]; PyTorch drops the batch axis
  Noise,    // TF's noise inputs are [1, 1, H, W]; PyTorch's noise_const is [H, W]
  PlusOne,  // TF adds 1 to every style after the bias; PyTorch starts the bias at 1 instead
  Module,   // no TF variable: the module's own value (the FIR filter buffers, fixed by the config)
};

// The TF variable name for a match of a rule's PyTorch name pattern.
using TfName = std::function<std::string(const std::smatch&)>;

// One PyTorch parameter/buffer name pattern and the TensorFlow variable it comes from.
struct NameRule {
  std::regex official;
  TfName tf_name;  // null for Layout::Module
  Layout layout;
};

// A TF name made from the official name's captures: "$1" is the first group (std::regex format syntax).
TfName tf(const std::string& pattern) {
  return [pattern](const std::smatch& m) { return m.format(pattern); };
}

void add(std::vector<NameRule>& rules, const std::string& official, TfName tf_name, Layout layout) {
  rules.push_back({std::regex(official), std::move(tf_name), layout});
}

// TF numbers the noise inputs of the whole synthesis network 0..num_ws-2 in layer order: the 4x4 conv is 0,
// then block r's conv0 and conv1 are 2*log2(r) - 5 and 2*log2(r) - 4.
TfName noise_input(int conv) {
  return [conv](const std::smatch& m) {
    const int log2r = static_cast<int>(std::lround(std::log2(std::stod(m[1].str()))));
    return "synthesis/noise" + std::to_string(2 * log2r - 5 + conv);
  };
}

// A modulated layer `ours` (a regex of the PyTorch module path) from the TF scope `theirs`: its kernel, bias,
// style affine (TF's mod_weight / mod_bias) and, when `noise` is given, its noise input and strength.
void add_modulated_layer(std::vector<NameRule>& rules, const std::string& ours, const std::string& theirs,
                         Layout kernel, TfName noise = nullptr) {
  add(rules, ours + R"(\.weight)", tf(theirs + "/weight"), kernel);
  add(rules, ours + R"(\.bias)", tf(theirs + "/bias"), Layout::Same);
  add(rules, ours + R"(\.affine\.weight)", tf(theirs + "/mod_weight"), Layout::Dense);
  add(rules, ours + R"(\.affine\.bias)", tf(theirs + "/mod_bias"), Layout::PlusOne);
  if (!noise) return;
  add(rules, ours + R"(\.noise_const)", std::move(noise), Layout::Noise);
  add(rules, ours + R"(\.noise_strength)", tf(theirs + "/noise_strength"), Layout::Same);
}

// The first matching rule wins, so the 4x4 block's rules come before the general ones.
const std::vector<NameRule>& generator_name_rules() {
  static const std::vector<NameRule> rules = [] {
    using L = Layout;
    std::vector<NameRule> r;
    add(r, R"(mapping\.w_avg)", tf("dlatent_avg"), L::Same);
    add(r, R"(mapping\.embed\.weight)", tf("mapping/LabelEmbed/weight"), L::Dense);
    add(r, R"(mapping\.embed\.bias)", tf("mapping/LabelEmbed/bias"), L::Same);
    add(r, R"(mapping\.fc(\d+)\.weight)", tf("mapping/Dense$1/weight"), L::Dense);
    add(r, R"(mapping\.fc(\d+)\.bias)", tf("mapping/Dense$1/bias"), L::Same);
    add(r, R"(synthesis\.b4\.const)", tf("synthesis/4x4/Const/const"), L::Const);
    add_modulated_layer(r, R"(synthesis\.b4\.conv1)", "synthesis/4x4/Conv", L::Conv, tf("synthesis/noise0"));
    add_modulated_layer(r, R"(synthesis\.b(\d+)\.conv0)", "synthesis/$1x$1/Conv0_up", L::ConvRotated,
                        noise_input(0));
    add_modulated_layer(r, R"(synthesis\.b(\d+)\.conv1)", "synthesis/$1x$1/Conv1", L::Conv, noise_input(1));
    add_modulated_layer(r, R"(synthesis\.b(\d+)\.torgb)", "synthesis/$1x$1/ToRGB", L::Conv);
    // The resnet skip is an up-sampling convolution too (1x1, so the rotation changes nothing).
    add(r, R"(synthesis\.b(\d+)\.skip\.weight)", tf("synthesis/$1x$1/Skip/weight"), L::ConvRotated);
    add(r, R"(.*\.resample_filter)", nullptr, L::Module);
    return r;
  }();
  return rules;
}

// The discriminator's convolutions are plain or down-sampling ones, the same operation in both frameworks:
// transposed, never rotated. (A conditional D's LabelEmbed / Mapping<i> layers have no rules: our D cannot be
// conditional, and such a D is left out before it gets here.)
const std::vector<NameRule>& discriminator_name_rules() {
  static const std::vector<NameRule> rules = [] {
    using L = Layout;
    std::vector<NameRule> r;
    add(r, R"(b(\d+)\.fromrgb\.weight)", tf("$1x$1/FromRGB/weight"), L::Conv);
    add(r, R"(b(\d+)\.fromrgb\.bias)", tf("$1x$1/FromRGB/bias"), L::Same);
    add(r, R"(b(\d+)\.conv0\.weight)", tf("$1x$1/Conv0/weight"), L::Conv);
    add(r, R"(b(\d+)\.conv0\.bias)", tf("$1x$1/Conv0/bias"), L::Same);
    add(r, R"(b(\d+)\.conv1\.weight)", tf("$1x$1/Conv1_down/weight"), L::Conv);
    add(r, R"(b(\d+)\.conv1\.bias)", tf("$1x$1/Conv1_down/bias"), L::Same);
    add(r, R"(b(\d+)\.skip\.weight)", tf("$1x$1/Skip/weight"), L::Conv);
    add(r, R"(b4\.conv\.weight)", tf("4x4/Conv/weight"), L::Conv);
    add(r, R"(b4\.conv\.bias)", tf("4x4/Conv/bias"), L::Same);
    add(r, R"(b4\.fc\.weight)", tf("4x4/Dense0/weight"), L::Dense);
    add(r, R"(b4\.fc\.bias)", tf("4x4/Dense0/bias"), L::Same);
    add(r, R"(b4\.out\.weight)", tf("Output/weight"), L::Dense);
    add(r, R"(b4\.out\.bias)", tf("Output/bias"), L::Same);
    add(r, R"(.*\.resample_filter)", nullptr, L::Module);
    return r;
  }();
  return rules;
}

// The TF shape a PyTorch tensor of `shape` comes from.
std::vector<int64_t> tf_shape(Layout layout, torch::IntArrayRef shape) {
  std::vector<int64_t> s(shape.begin(), shape.end());
  switch (layout) {
    case Layout::Dense:
      if (s.size() == 2) return {s[1], s[0]};
      break;
    case Layout::Conv:
    case Layout::ConvRotated:
      if (s.size() == 4) return {s[2], s[3], s[1], s[0]};
      break;
    case Layout::Const:
      s.insert(s.begin(), 1);
      break;
    case Layout::Noise:
      s.insert(s.begin(), {1, 1});
      break;
    default:
      break;
  }
  return s;
}

// A TF variable rearranged into the PyTorch layout (a view where possible).
// [kh, kw, in, out] -> [out, in, kh, kw]. As it lies in memory the kernel is the matrix [kh*kw*in, out]:
// transposing that first is one blocked, cache-friendly copy (a direct 4-D permutation strides through the
// whole kernel for every element and makes loading a large checkpoint several times slower).
torch::Tensor conv_to_pytorch(const torch::Tensor& v) {
  if (!v.is_contiguous()) return v.permute({3, 2, 0, 1});
  const int64_t kh = v.size(0), kw = v.size(1), in = v.size(2), out = v.size(3);
  return v.reshape({kh * kw * in, out}).t().contiguous().view({out, kh, kw, in}).permute({0, 3, 1, 2});
}

torch::Tensor to_pytorch_layout(const torch::Tensor& value, Layout layout) {
  switch (layout) {
    case Layout::Dense:
      return value.t();
    case Layout::Conv:
      return conv_to_pytorch(value);
    case Layout::ConvRotated:
      return conv_to_pytorch(value).flip({2, 3});
    case Layout::Const:
      return value[0];
    case Layout::Noise:
      return value[0][0];
    default:
      return value;
  }
}

std::string shape_text(torch::IntArrayRef shape) {
  std::ostringstream s;
  s << shape;
  return s.str();
}

// "Gs (G_main; mapping: G_mapping, synthesis: G_synthesis_stylegan2)": which code built the network.
std::string built_by(const TensorflowNetwork& net) {
  std::string parts;
  for (const auto& [name, func] : net.component_funcs)
    parts += (parts.empty() ? "; " : ", ") + name + ": " + func;
  return net.role + " (" + net.build_func_name + parts + ")";
}

// Fills every parameter and buffer of `module` from `net`'s variables, the way legacy.py's
// _populate_module_params walks the PyTorch module: each name finds its rule, then its TF variable, whose
// shape must be exactly what the module expects. Copies each used variable once, straight into the module,
// and returns the module's tensors (detached) under their names.
StateDict populate(PickleTree& tree, const TensorflowNetwork& net, torch::nn::Module& module,
                   const std::vector<NameRule>& rules) {
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : state_dict_of(module)) {
    std::smatch match;
    const NameRule* rule = nullptr;
    for (const NameRule& r : rules)
      if (std::regex_match(name, match, r.official)) {
        rule = &r;
        break;
      }
    if (!rule) tree.fail(*net.object, net.role + ": no TensorFlow variable is known for '" + name + "'");
    if (rule->layout == Layout::Module) continue;

    const std::string tf_name = rule->tf_name(match);
    const auto found = net.variables.find(tf_name);
    if (found == net.variables.end()) {
      std::string hint;
      if (tf_name == "mapping/LabelEmbed/weight" && net.variables.count("mapping/LabelConcat/weight"))
        hint =
            "; its labels enter by NVlabs/stylegan2's LabelConcat, which the official converter does not "
            "read";
      tree.fail(*net.object, built_by(net) + " has no variable '" + tf_name + "' (for " + name + ")" + hint);
    }
    const std::string what = net.role + ": variable '" + tf_name + "'";
    const torch::Tensor value = tensorflow_variable(tree, *found->second, what);
    const std::vector<int64_t> expected = tf_shape(rule->layout, target.sizes());
    if (value.sizes() != torch::IntArrayRef(expected))
      tree.fail(*found->second, what + " has shape " + shape_text(value.sizes()) + ", expected " +
                                    shape_text(expected) + " (for " + name + ")");
    if (!value.is_floating_point())
      tree.fail(*found->second, what + " holds " + std::string(c10::toString(value.scalar_type())) +
                                    " values, expected floating point");
    target.copy_(to_pytorch_layout(value, rule->layout));
    if (rule->layout == Layout::PlusOne) target.add_(1);
  }
  StateDict out;
  for (auto& [name, t] : state_dict_of(module)) out[name] = t.detach();
  return out;
}

void check_version(const PickleTree& tree, const TensorflowNetwork& net) {
  if (net.version < 4)
    tree.fail(*net.object, net.role + ": Network state version " + std::to_string(net.version) +
                               " is too old (the official converter reads version 4 and newer)");
}

// Prefixes the network to a CheckpointError from config code that does not know where it is.
template <typename F>
auto in_network(const PickleTree& tree, const TensorflowNetwork& net, F&& f) {
  try {
    return f();
  } catch (const CheckpointError& e) {
    tree.fail(*net.object, net.role + ": " + e.what());
  }
}

void convert_generator(PickleTree& tree, const TensorflowNetwork& gs, TensorflowSnapshot& out) {
  check_version(tree, gs);
  out.g_init_kwargs =
      in_network(tree, gs, [&] { return generator_kwargs_from_tensorflow(gs.static_kwargs); });
  out.generator_config =
      in_network(tree, gs, [&] { return generator_config_from_nvidia_kwargs(out.g_init_kwargs); });
  // Only what the module asks for is read: `lod` (G_main's progressive-growing level, which the StyleGAN2
  // synthesis never reads) is dropped, as by the official converter. Its ToRGB_lod<N> alias is not repeated
  // here: it matches top-level names only, and G_main keeps every ToRGB inside the synthesis component.
  Generator generator(out.generator_config);
  out.g_ema = populate(tree, gs, *generator, generator_name_rules());
  out.description = built_by(gs) + ", Network state version " + std::to_string(gs.version);
}

void convert_discriminator(PickleTree& tree, const TensorflowNetwork& d, TensorflowSnapshot& out) {
  check_version(tree, d);
  // A progressive-growing D names its input layers FromRGB_lod<N> (N levels below the full resolution); the
  // official converter reads them as the 'orig' architecture's FromRGB of that resolution.
  TensorflowNetwork net = d;
  bool progressive = false;
  static const std::regex kLod(R"(FromRGB_lod(\d+)/(.*))");
  for (const auto& [name, value] : d.variables) {
    std::smatch m;
    if (!std::regex_match(name, m, kLod)) continue;
    progressive = true;
    const auto res = d.static_kwargs.find("resolution");
    const int64_t full =
        res != d.static_kwargs.end() && res->is_number_integer() ? res->get<int64_t>() : 1024;
    const int64_t r = full >> std::min<int64_t>(std::stoll(m[1].str().substr(0, 3)), 62);
    net.variables[std::to_string(r) + "x" + std::to_string(r) + "/FromRGB/" + m[2].str()] = value;
  }
  const nlohmann::json kwargs =
      in_network(tree, d, [&] { return discriminator_kwargs_from_tensorflow(d.static_kwargs, progressive); });
  if (kwargs.value("c_dim", nlohmann::json(0)) != 0) {
    log::warn(tree.origin(), ": D is conditional (label_size ", kwargs["c_dim"].dump(),
              "), which this discriminator cannot be; loading the generator without it");
    return;
  }
  const DiscriminatorConfig config =
      in_network(tree, d, [&] { return DiscriminatorConfig::from_nvidia_kwargs(kwargs); });
  Discriminator discriminator(config);
  out.discriminator = populate(tree, net, *discriminator, discriminator_name_rules());
  out.discriminator_config = config.to_json();
}

}  // namespace

TensorflowSnapshot convert_tensorflow_stylegan2(PickleTree& tree) {
  const TensorflowNetworks nets = read_tensorflow_networks(tree);
  TensorflowSnapshot snap;
  convert_generator(tree, nets.Gs, snap);
  if (nets.D) convert_discriminator(tree, *nets.D, snap);
  return snap;
}

TensorflowSnapshot read_tensorflow_pkl(const std::string& path) {
  std::unique_ptr<PickleTree> tree = read_pickle_file(path);
  if (!is_tensorflow_pickle(*tree))
    tree->fail(*tree->root(), "not a TensorFlow network pickle: the top is " + describe(*tree->root()));
  return convert_tensorflow_stylegan2(*tree);
}

}  // namespace draggan
