#include "draggan/io/TensorflowKwargs.h"

#include <set>
#include <string>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

using json = nlohmann::json;

[[noreturn]] void fail_static_kwargs(const std::string& message) { throw CheckpointError("static_kwargs: " + message); }

// One TensorFlow kwarg feeding one init kwarg ("a.b" = key b of the dict a).
struct KwargRule {
  const char* tf_name;
  const char* init_path;
  json fallback;  // the official default when the kwarg is absent
  // What an explicit None becomes; a discarded json (the default) means None is not a usable value.
  json if_none = json(json::value_t::discarded);
};

// A box filter in TensorFlow, but the official converter passes None on and the PyTorch classes then use the
// one-tap filter [1]; parity with the official result is what matters here.
const json kNoneFilter = json::array({1});

const std::vector<KwargRule>& generator_kwarg_rules() {
  static const std::vector<KwargRule> rules = {
      {"latent_size", "z_dim", 512},
      {"label_size", "c_dim", 0},
      {"dlatent_size", "w_dim", 512},
      {"resolution", "img_resolution", 1024},
      {"num_channels", "img_channels", 3},
      {"fmap_base", "channel_base", 16384},  // doubled below
      {"fmap_max", "channel_max", 512},
      {"num_fp16_res", "num_fp16_res", 0},
      {"conv_clamp", "conv_clamp", nullptr, nullptr},
      {"architecture", "architecture", "skip"},
      {"resample_kernel", "resample_filter", {1, 3, 3, 1}, kNoneFilter},
      {"use_noise", "use_noise", true},
      {"nonlinearity", "activation", "lrelu"},
      {"mapping_layers", "mapping_kwargs.num_layers", 8},
      {"label_fmaps", "mapping_kwargs.embed_features", nullptr, nullptr},
      {"mapping_fmaps", "mapping_kwargs.layer_features", nullptr, nullptr},
      {"mapping_nonlinearity", "mapping_kwargs.activation", "lrelu"},
      {"mapping_lrmul", "mapping_kwargs.lr_multiplier", 0.01},
      // Not a TensorFlow kwarg at all (TF calls it dlatent_avg_beta, which is unknown here): the official
      // converter reads this name, so every real file gets the default.
      {"w_avg_beta", "mapping_kwargs.w_avg_beta", 0.995, 1},
  };
  return rules;
}
// Known to the official converter and dropped: evaluation-time truncation and training-only options.
const std::set<std::string> kGeneratorIgnored = {"truncation_psi", "truncation_cutoff", "style_mixing_prob",
                                                 "structure",      "conditioning",      "fused_modconv"};

const std::vector<KwargRule>& discriminator_kwarg_rules() {
  static const std::vector<KwargRule> rules = {
      {"label_size", "c_dim", 0},
      {"resolution", "img_resolution", 1024},
      {"num_channels", "img_channels", 3},
      {"architecture", "architecture", "resnet"},
      {"fmap_base", "channel_base", 16384},  // doubled below
      {"fmap_max", "channel_max", 512},
      {"num_fp16_res", "num_fp16_res", 0},
      {"conv_clamp", "conv_clamp", nullptr, nullptr},
      {"mapping_fmaps", "cmap_dim", nullptr, nullptr},
      {"nonlinearity", "block_kwargs.activation", "lrelu"},
      {"resample_kernel", "block_kwargs.resample_filter", {1, 3, 3, 1}, kNoneFilter},
      {"freeze_layers", "block_kwargs.freeze_layers", 0},
      {"mapping_layers", "mapping_kwargs.num_layers", 0},
      {"mapping_fmaps", "mapping_kwargs.embed_features", nullptr, nullptr},
      {"mapping_fmaps", "mapping_kwargs.layer_features", nullptr, nullptr},
      {"nonlinearity", "mapping_kwargs.activation", "lrelu"},
      {"mapping_lrmul", "mapping_kwargs.lr_multiplier", 0.1},
      // TensorFlow's own default is 4, but what the file does not say becomes None (one group per batch).
      {"mbstd_group_size", "epilogue_kwargs.mbstd_group_size", nullptr, nullptr},
      {"mbstd_num_features", "epilogue_kwargs.mbstd_num_channels", 1},
      {"nonlinearity", "epilogue_kwargs.activation", "lrelu"},
  };
  return rules;
}
const std::set<std::string> kDiscriminatorIgnored = {"structure", "conditioning"};

json convert(const json& tf, const std::vector<KwargRule>& rules, const std::set<std::string>& ignored) {
  if (!tf.is_object()) fail_static_kwargs("expected a dict, got " + tf.dump().substr(0, 80));
  std::set<std::string> known = ignored;
  json out = json::object();
  for (const KwargRule& rule : rules) {
    known.insert(rule.tf_name);
    json value = rule.fallback;
    if (auto it = tf.find(rule.tf_name); it != tf.end()) {
      value = *it;
      if (value.is_null()) {
        if (rule.if_none.is_discarded()) fail_static_kwargs("'" + std::string(rule.tf_name) + "' is None");
        value = rule.if_none;
      }
    }
    const std::string path = rule.init_path;
    const size_t dot = path.find('.');
    if (dot == std::string::npos)
      out[path] = value;
    else
      out[path.substr(0, dot)][path.substr(dot + 1)] = value;
  }

  std::string unknown;
  for (const auto& [key, _] : tf.items())
    if (!known.count(key)) unknown += (unknown.empty() ? "'" : ", '") + key + "'";
  if (!unknown.empty())
    fail_static_kwargs("unknown TensorFlow kwarg" + std::string(unknown.find(',') == std::string::npos ? " " : "s ") + unknown +
         " (the official converter refuses kwargs it does not know)");

  const json& base = out["channel_base"];
  if (!base.is_number()) fail_static_kwargs("'fmap_base' is " + base.dump() + ", expected a number");
  out["channel_base"] =
      base.is_number_integer() ? json(base.get<int64_t>() * 2) : json(base.get<double>() * 2);
  for (const char* tf_name : {"nonlinearity", "mapping_nonlinearity"})
    if (auto it = tf.find(tf_name); it != tf.end() && *it != "lrelu")
      fail_static_kwargs("'" + std::string(tf_name) + "' is " + it->dump() + "; only 'lrelu' is supported");
  return out;
}

}  // namespace

json generator_kwargs_from_tensorflow(const json& static_kwargs) {
  return convert(static_kwargs, generator_kwarg_rules(), kGeneratorIgnored);
}

json discriminator_kwargs_from_tensorflow(const json& static_kwargs, bool progressive_fromrgb) {
  json kwargs = convert(static_kwargs, discriminator_kwarg_rules(), kDiscriminatorIgnored);
  if (progressive_fromrgb) kwargs["architecture"] = "orig";
  return kwargs;
}

}  // namespace draggan
