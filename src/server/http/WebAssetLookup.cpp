#include "server/http/WebAssets.h"

namespace draggan::server {

const WebAsset* find_web_asset(const std::string& path) {
  const std::string wanted = (path.empty() || path == "/") ? "/index.html" : path;
  for (const auto& asset : web_assets())
    if (wanted == asset.path) return &asset;
  return nullptr;
}

}  // namespace draggan::server
