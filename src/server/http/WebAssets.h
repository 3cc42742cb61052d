// The editor page's files (web/*), compiled into the binary by EmbedWebAssets.cmake.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace draggan::server {

struct WebAsset {
  const char* path;  // "/index.html"
  const char* mime;
  const unsigned char* data;
  std::size_t size;
};

const std::vector<WebAsset>& web_assets();

// The asset served at `path` ("/" means "/index.html"), or nullptr.
const WebAsset* find_web_asset(const std::string& path);

}  // namespace draggan::server
