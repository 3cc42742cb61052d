// SHA-256 digests (OpenSSL) that name the inputs of an image in its provenance record: the model file, the
// projected photo, a saved start latent.
#pragma once
#include <string>

namespace draggan {

// Lower-case hex of the digest of `bytes`.
std::string sha256_hex(const std::string& bytes);
// The same of a file's contents, read in blocks. Throws InputError naming the file when it cannot be read.
std::string file_sha256_hex(const std::string& path);

}  // namespace draggan
