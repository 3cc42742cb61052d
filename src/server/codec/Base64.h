// Standard base64 (RFC 4648, with padding): latents and masks travel inside JSON this way.
#pragma once
#include <string>

namespace draggan::server {

std::string base64_encode(const std::string& bytes);

// Accepts padded or unpadded input and ignores whitespace; throws InputError naming `what` on bad characters.
std::string base64_decode(const std::string& text, const std::string& what);

}  // namespace draggan::server
