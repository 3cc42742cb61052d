// Text decoding for the pickle opcodes that carry text: UTF-8 checks and the escapes of protocol 0.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace draggan::pickle_text {

// Strict UTF-8: no overlong forms, no surrogates.
bool is_valid_utf8(std::string_view s);

void append_utf8(std::string& out, uint32_t code_point);

// STRING's argument: a Python 2 repr quoted with ' or ", with backslash escapes. The bytes are read as
// latin-1 (what torch.load(encoding='latin1') does for Python 2 files) and returned as UTF-8.
std::optional<std::string> unquote_string(std::string_view repr);

// UNICODE's argument (raw-unicode-escape: \uXXXX, \UXXXXXXXX, other bytes are latin-1) as UTF-8.
std::optional<std::string> decode_raw_unicode_escape(std::string_view s);

// What _codecs.encode(s, 'latin1') gives for a UTF-8 str (how protocols 0-2 pickle bytes); nullopt when a
// code point is above 255.
std::optional<std::string> utf8_to_latin1(std::string_view s);

}  // namespace draggan::pickle_text
