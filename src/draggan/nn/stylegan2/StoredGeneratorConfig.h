// Reading the config a StyleGAN2 or StyleGAN-Human file stores, for both families' build().
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "draggan/nn/stylegan2/GeneratorConfig.h"

namespace draggan {

// GeneratorConfig::from_json with its errors prefixed by `origin` (the file and network being built).
GeneratorConfig generator_config_at(const nlohmann::json& config, const std::string& origin);

}  // namespace draggan
