#include "draggan/io/NvidiaKwargs.h"

#include <cmath>

#include "draggan/core/Error.h"

namespace draggan {
namespace {

[[noreturn]] void fail_init_kwargs(const std::string& message) { throw CheckpointError("init_kwargs: " + message); }

const nlohmann::json* find(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

int get_int(const nlohmann::json& j, const char* key, std::optional<int> fallback,
            const std::string& where = "") {
  const nlohmann::json* v = find(j, key);
  if (!v) {
    if (!fallback) fail_init_kwargs("missing '" + where + key + "'");
    return *fallback;
  }
  // Some configs hold whole-number floats or numpy scalars; anything else is not a size.
  if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() &&
      std::abs(v->get<double>()) < 1e9)
    return static_cast<int>(v->get<double>());
  if (!v->is_number_integer() || v->get<int64_t>() < INT32_MIN || v->get<int64_t>() > INT32_MAX)
    fail_init_kwargs("'" + where + key + "' is " + v->dump() + ", expected an integer");
  return static_cast<int>(v->get<int64_t>());
}

std::optional<int> get_opt_int(const nlohmann::json& j, const char* key, const std::string& where = "") {
  if (!find(j, key)) return std::nullopt;
  return get_int(j, key, std::nullopt, where);
}

double get_number(const nlohmann::json& j, const char* key, double fallback, const std::string& where = "") {
  const nlohmann::json* v = find(j, key);
  if (!v) return fallback;
  if (!v->is_number()) fail_init_kwargs("'" + where + key + "' is " + v->dump() + ", expected a number");
  return v->get<double>();
}

const nlohmann::json& get_object(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  const nlohmann::json* v = find(j, key);
  if (!v) return kEmpty;
  if (!v->is_object()) fail_init_kwargs("'" + std::string(key) + "' is " + v->dump() + ", expected a dict");
  return *v;
}

void require_lrelu(const nlohmann::json& j, const std::string& where) {
  const nlohmann::json* a = find(j, "activation");
  if (a && *a != "lrelu") fail_init_kwargs("'" + where + "activation' is " + a->dump() + "; only 'lrelu' is supported");
}

}  // namespace

GeneratorConfig generator_config_from_nvidia_kwargs(const nlohmann::json& kwargs) {
  if (!kwargs.is_object()) fail_init_kwargs("expected a dict, got " + kwargs.dump().substr(0, 80));
  GeneratorConfig c;
  c.z_dim = get_int(kwargs, "z_dim", std::nullopt);
  c.c_dim = get_int(kwargs, "c_dim", std::nullopt);
  c.w_dim = get_int(kwargs, "w_dim", std::nullopt);
  c.img_resolution = get_int(kwargs, "img_resolution", std::nullopt);
  c.img_channels = get_int(kwargs, "img_channels", std::nullopt);

  // stylegan2-ada-pytorch nests the synthesis options; its defaults differ in two places (num_fp16_res,
  // w_avg_beta) from the stylegan3 codebase's.
  const bool nested = find(kwargs, "synthesis_kwargs") != nullptr;
  const nlohmann::json& synthesis = nested ? get_object(kwargs, "synthesis_kwargs") : kwargs;
  const std::string sp = nested ? "synthesis_kwargs." : "";
  const nlohmann::json& mapping = get_object(kwargs, "mapping_kwargs");
  const std::string mp = "mapping_kwargs.";

  c.mapping_layers = get_int(mapping, "num_layers", 8, mp);
  c.embed_features = get_opt_int(mapping, "embed_features", mp);
  c.layer_features = get_opt_int(mapping, "layer_features", mp);
  c.mapping_lr_multiplier = get_number(mapping, "lr_multiplier", 0.01, mp);
  // None means "do not track"; beta 1 keeps w_avg fixed, which is the same thing.
  const auto beta = mapping.find("w_avg_beta");
  c.w_avg_beta = beta != mapping.end() && beta->is_null()
                     ? 1.0
                     : get_number(mapping, "w_avg_beta", nested ? 0.995 : 0.998, mp);
  require_lrelu(mapping, mp);

  c.channel_base = get_int(synthesis, "channel_base", 32768, sp);
  c.channel_max = get_int(synthesis, "channel_max", 512, sp);
  c.num_fp16_res = get_int(synthesis, "num_fp16_res", nested ? 0 : 4, sp);
  if (find(synthesis, "conv_clamp")) c.conv_clamp = get_number(synthesis, "conv_clamp", 0, sp);
  if (const nlohmann::json* arch = find(synthesis, "architecture")) {
    if (!arch->is_string()) fail_init_kwargs("'" + sp + "architecture' is " + arch->dump() + ", expected a str");
    c.architecture = arch->get<std::string>();
  }
  if (const nlohmann::json* filter = find(synthesis, "resample_filter")) {
    if (!filter->is_array()) fail_init_kwargs("'" + sp + "resample_filter' is " + filter->dump() + ", expected a list");
    c.resample_filter.clear();
    for (const auto& tap : *filter) {
      if (!tap.is_number()) fail_init_kwargs("'" + sp + "resample_filter' has a non-number tap " + tap.dump());
      c.resample_filter.push_back(tap.get<float>());
    }
  }
  if (const nlohmann::json* noise = find(synthesis, "use_noise")) {
    if (!noise->is_boolean()) fail_init_kwargs("'" + sp + "use_noise' is " + noise->dump() + ", expected a bool");
    c.use_noise = noise->get<bool>();
  }
  require_lrelu(synthesis, sp);
  try {
    c.validate();
  } catch (const CheckpointError& e) {
    fail_init_kwargs(e.what());
  }
  return c;
}

}  // namespace draggan
