// Content hashes: what the session store names its blobs and models by (SHA-256, lower-case hex), and
// the SHA-1 Redis names its scripts by.
#pragma once
#include <string>
#include <string_view>

namespace draggan::server {

std::string sha256_hex(std::string_view bytes);
// A whole file, read in pieces (models are hundreds of MB). Throws Error naming the file if unreadable.
std::string sha256_file_hex(const std::string& path);
std::string sha1_hex(std::string_view bytes);

}  // namespace draggan::server
