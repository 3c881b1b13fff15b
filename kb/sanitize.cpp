#include "kb/sanitize.hpp"

namespace advise {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// The well-formed UTF-8 character at text[i] (RFC 3629: no overlong forms,
// no surrogates, nothing past U+10FFFF): its length, or 0 when ill-formed.
std::size_t decode(std::string_view text, std::size_t i, char32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
  unsigned char c = b(0);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  return n;
}

bool is_bidi_control(char32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void hex_byte(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

void hex_code_point(std::string& out, char32_t cp) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
}

}  // namespace

std::size_t append_terminal_safe(std::string_view text, std::size_t i, std::string& out, Layout layout) {
  char32_t cp = 0;
  std::size_t n = decode(text, i, cp);
  if (n == 0) {
    hex_byte(out, static_cast<unsigned char>(text[i]));
    return 1;
  }
  if (cp < 0x20 || cp == 0x7F) {
    if (layout == Layout::Lines && (cp == '\t' || cp == '\n'))
      out += static_cast<char>(cp);
    else
      hex_byte(out, static_cast<unsigned char>(cp));
  } else if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp)) {
    hex_code_point(out, cp);
  } else {
    out.append(text.substr(i, n));
  }
  return n;
}

std::string terminal_safe(std::string_view text, Layout layout) {
  // The usual case: printable ASCII, returned as it is.
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7F) break;
    ++i;
  }
  std::string out(text.substr(0, i));
  if (i == text.size()) return out;
  out.reserve(text.size() + 8);
  while (i < text.size()) i += append_terminal_safe(text, i, out, layout);
  return out;
}

std::string json_terminal_safe(std::string json) {
  // Outside its strings, JSON text is ASCII without DEL, so every match is
  // inside a string, where a \u escape means the same character.
  auto needs = [](std::string_view s, std::size_t i, char32_t& cp) -> std::size_t {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0x7F) {
      cp = 0x7F;
      return 1;
    }
    if (c != 0xC2 && c != 0xD8 && c != 0xE2) return 0;
    std::size_t n = decode(s, i, cp);
    if (n == 0) return 0;
    return (cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp) ? n : 0;
  };
  std::size_t i = 0;
  char32_t cp = 0;
  while (i < json.size() && needs(json, i, cp) == 0) ++i;
  if (i == json.size()) return json;
  std::string out = json.substr(0, i);
  out.reserve(json.size() + 16);
  while (i < json.size()) {
    std::size_t n = needs(json, i, cp);
    if (n == 0) {
      out += json[i++];
      continue;
    }
    hex_code_point(out, cp);
    i += n;
  }
  return out;
}

}  // namespace advise
