#include "draggan/nn/stylegan3/StyleGAN3Kwargs.h"

#include <cmath>
#include <set>
#include <string>

#include "draggan/core/Error.h"

namespace draggan::stylegan3 {
namespace {

[[noreturn]] void fail_kwargs(const std::string& message) { throw CheckpointError("init_kwargs: " + message); }

const nlohmann::json* find(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() ? nullptr : &*it;
}

void read_int(const nlohmann::json& j, const char* key, int& field, const std::string& where = "") {
  const nlohmann::json* v = find(j, key);
  if (!v) return;
  // Whole-number floats (numpy scalars saved as float) are sizes too; anything else is not.
  if (v->is_number_float() && std::floor(v->get<double>()) == v->get<double>() && std::abs(v->get<double>()) < 2e9) {
    field = static_cast<int>(v->get<double>());
    return;
  }
  if (!v->is_number_integer() || v->get<int64_t>() < INT32_MIN || v->get<int64_t>() > INT32_MAX)
    fail_kwargs("'" + where + key + "' is " + v->dump().substr(0, 40) + ", expected an integer");
  field = static_cast<int>(v->get<int64_t>());
}

void require_int(const nlohmann::json& j, const char* key, int& field) {
  if (!find(j, key)) fail_kwargs("missing '" + std::string(key) + "'");
  read_int(j, key, field);
}

void read_number(const nlohmann::json& j, const char* key, double& field, const std::string& where = "") {
  const nlohmann::json* v = find(j, key);
  if (!v) return;
  if (!v->is_number()) fail_kwargs("'" + where + key + "' is " + v->dump().substr(0, 40) + ", expected a number");
  field = v->get<double>();
}

void read_bool(const nlohmann::json& j, const char* key, bool& field) {
  const nlohmann::json* v = find(j, key);
  if (!v) return;
  if (!v->is_boolean()) fail_kwargs("'" + std::string(key) + "' is " + v->dump().substr(0, 40) + ", expected a bool");
  field = v->get<bool>();
}

void reject_unknown(const nlohmann::json& j, const std::set<std::string>& known, const std::string& where) {
  std::string unknown;
  for (const auto& [key, value] : j.items())
    if (!known.count(key)) unknown += (unknown.empty() ? "" : ", ") + where + key;
  if (!unknown.empty()) fail_kwargs("unsupported StyleGAN3 option(s): " + unknown);
}

}  // namespace

StyleGAN3Config config_from_nvidia_kwargs(const nlohmann::json& kwargs) {
  if (!kwargs.is_object()) fail_kwargs("expected a dict, got " + kwargs.dump().substr(0, 80));
  // Generator, SynthesisNetwork and SynthesisLayer keyword arguments of the official stylegan3 code.
  reject_unknown(kwargs,
                 {"z_dim", "c_dim", "w_dim", "img_resolution", "img_channels", "mapping_kwargs", "resize",
                  "channel_base", "channel_max", "num_layers", "num_critical", "first_cutoff", "first_stopband",
                  "last_stopband_rel", "margin_size", "output_scale", "num_fp16_res", "conv_kernel", "filter_size",
                  "lrelu_upsampling", "use_radial_filters", "conv_clamp", "magnitude_ema_beta"},
                 "");
  if (find(kwargs, "resize")) fail_kwargs("'resize' (DragGAN's output resizing) is not supported");

  StyleGAN3Config c;
  require_int(kwargs, "z_dim", c.z_dim);
  require_int(kwargs, "c_dim", c.c_dim);
  require_int(kwargs, "w_dim", c.w_dim);
  require_int(kwargs, "img_resolution", c.img_resolution);
  require_int(kwargs, "img_channels", c.img_channels);

  if (const nlohmann::json* mapping = find(kwargs, "mapping_kwargs")) {
    if (!mapping->is_object()) fail_kwargs("'mapping_kwargs' is " + mapping->dump().substr(0, 40) + ", expected a dict");
    reject_unknown(*mapping, {"num_layers", "lr_multiplier", "w_avg_beta"}, "mapping_kwargs.");
    read_int(*mapping, "num_layers", c.mapping_layers, "mapping_kwargs.");
    read_number(*mapping, "lr_multiplier", c.mapping_lr_multiplier, "mapping_kwargs.");
    read_number(*mapping, "w_avg_beta", c.w_avg_beta, "mapping_kwargs.");
  }

  read_int(kwargs, "channel_base", c.channel_base);
  read_int(kwargs, "channel_max", c.channel_max);
  read_int(kwargs, "num_layers", c.num_layers);
  read_int(kwargs, "num_critical", c.num_critical);
  read_number(kwargs, "first_cutoff", c.first_cutoff);
  read_number(kwargs, "first_stopband", c.first_stopband);
  read_number(kwargs, "last_stopband_rel", c.last_stopband_rel);
  read_int(kwargs, "margin_size", c.margin_size);
  read_number(kwargs, "output_scale", c.output_scale);
  read_int(kwargs, "num_fp16_res", c.num_fp16_res);
  read_int(kwargs, "conv_kernel", c.conv_kernel);
  read_int(kwargs, "filter_size", c.filter_size);
  read_int(kwargs, "lrelu_upsampling", c.lrelu_upsampling);
  read_bool(kwargs, "use_radial_filters", c.use_radial_filters);
  read_number(kwargs, "magnitude_ema_beta", c.magnitude_ema_beta);
  // conv_clamp: absent = the default 256; None = no clamping.
  if (kwargs.contains("conv_clamp")) {
    if (kwargs.at("conv_clamp").is_null()) {
      c.conv_clamp.reset();
    } else {
      double clamp = 0;
      read_number(kwargs, "conv_clamp", clamp);
      c.conv_clamp = clamp;
    }
  }
  try {
    c.validate();
  } catch (const CheckpointError& e) {
    fail_kwargs(e.what());
  }
  return c;
}

}  // namespace draggan::stylegan3
