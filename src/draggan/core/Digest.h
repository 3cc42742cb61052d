// Content digests (OpenSSL): SHA-256 names the inputs of an image in its provenance record (the model file, the
// projected photo) and the blobs and models a session store shares between replicas; SHA-1 is what Redis
// names its scripts by.
#pragma once
#include <string>
#include <string_view>

namespace draggan {

// Lower-case hex of the digest of `bytes`.
std::string sha256_hex(std::string_view bytes);
std::string sha1_hex(std::string_view bytes);
// The SHA-256 of a file's contents, read in blocks (models are hundreds of MB). Throws InputError naming the
// file when it cannot be read.
std::string file_sha256_hex(const std::string& path);

}  // namespace draggan
