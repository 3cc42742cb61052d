#include "draggan/io/PickleText.h"

namespace draggan::pickle_text {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<uint32_t> hex_value(std::string_view s) {
  uint32_t v = 0;
  for (char c : s) {
    const int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<uint32_t>(d);
  }
  return v;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t extra = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms and values past U+10FFFF are invalid in every Python codec; lone surrogates (which
    // 'surrogatepass' would let through) are refused too, so every str converts to valid JSON.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

std::optional<std::string> unquote_string(std::string_view repr) {
  if (repr.size() < 2 || (repr[0] != '\'' && repr[0] != '"') || repr.back() != repr[0]) return std::nullopt;
  const std::string_view s = repr.substr(1, repr.size() - 2);
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    uint32_t byte = static_cast<unsigned char>(s[i]);
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char e = s[++i];
      switch (e) {
        case '\\':
          byte = '\\';
          break;
        case '\'':
          byte = '\'';
          break;
        case '"':
          byte = '"';
          break;
        case 'a':
          byte = '\a';
          break;
        case 'b':
          byte = '\b';
          break;
        case 'f':
          byte = '\f';
          break;
        case 'n':
          byte = '\n';
          break;
        case 'r':
          byte = '\r';
          break;
        case 't':
          byte = '\t';
          break;
        case 'v':
          byte = '\v';
          break;
        case '\n':
          continue;  // line continuation
        case 'x': {
          if (s.size() - i < 3) return std::nullopt;
          auto v = hex_value(s.substr(i + 1, 2));
          if (!v) return std::nullopt;
          byte = *v;
          i += 2;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            byte = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
              byte = byte * 8 + static_cast<uint32_t>(s[++i] - '0');
            byte &= 0xff;
          } else {
            out += '\\';  // unknown escapes stay as written, as in Python 2
            byte = static_cast<unsigned char>(e);
          }
      }
    }
    append_utf8(out, byte);
  }
  return out;
}

std::optional<std::string> decode_raw_unicode_escape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
      const size_t digits = s[i + 1] == 'u' ? 4 : 8;
      if (s.size() - i - 2 < digits) return std::nullopt;
      auto v = hex_value(s.substr(i + 2, digits));
      if (!v || *v > 0x10ffff) return std::nullopt;
      append_utf8(out, *v);
      i += 1 + digits;
    } else {
      append_utf8(out, static_cast<unsigned char>(s[i]));
    }
  }
  return out;
}

std::optional<std::string> utf8_to_latin1(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c & 0xe0) == 0xc0 && i + 1 < s.size()) {
      const uint32_t cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3fu);
      if (cp > 0xff) return std::nullopt;
      out += static_cast<char>(cp);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace draggan::pickle_text
