#include "server/store/ContentHash.h"

#include <openssl/evp.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

#include "draggan/core/Error.h"

namespace draggan::server {
namespace {

struct DigestContext {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
  explicit DigestContext(const EVP_MD* md) {
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) throw Error("cannot start a digest (OpenSSL)");
  }
  void update(const void* data, size_t size) { EVP_DigestUpdate(ctx.get(), data, size); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(ctx.get(), digest, &size);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
      out.push_back(digits[digest[i] >> 4]);
      out.push_back(digits[digest[i] & 15]);
    }
    return out;
  }
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  DigestContext d(EVP_sha256());
  d.update(bytes.data(), bytes.size());
  return d.hex();
}

std::string sha1_hex(std::string_view bytes) {
  DigestContext d(EVP_sha1());
  d.update(bytes.data(), bytes.size());
  return d.hex();
}

std::string sha256_file_hex(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open it to hash it (" + std::strerror(errno) + ")");
  DigestContext d(EVP_sha256());
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    if (in.gcount() > 0) d.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(path + ": read error while hashing it");
  return d.hex();
}

}  // namespace draggan::server
