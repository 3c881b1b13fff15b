// Lexical helpers the rule parser and the case-file parser (cases/syntax.cpp)
// share: the two languages write names and strings the same way
// (docs/grammar.md), and their syntax errors say what was found in the same
// words.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace advise {

// A letter, a digit or `_`: a character of a name.
inline bool ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A string literal's contents without its quotes, with `\n`, `\t` and `\X`
// (any other character X, `\"` and `\\` among them) read.
inline std::string unescape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      char c = raw[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += raw[i];
    }
  }
  return out;
}

// What stands at a place of a text, for "found ..." in a syntax error: a
// word, a number, a text in quotes, an operator, one whole (UTF-8)
// character, the end of the line or the end of the text; and its span.
struct Found {
  std::uint32_t offset = 0;  // from the start of the text
  std::uint32_t length = 0;
  std::string text;  // empty at end of file
  bool word = false;
  std::uint32_t code_point = 0;  // a character outside ASCII, decoded whole
};

// The length of the UTF-8 character starting at `p` and its code point (1
// and the byte itself when the bytes are not a valid sequence).
inline std::uint32_t utf8_char(const char* p, const char* end, std::uint32_t& cp) {
  auto c = static_cast<unsigned char>(*p);
  std::uint32_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
  cp = n == 2 ? c & 0x1Fu : n == 3 ? c & 0x0Fu : n == 4 ? c & 0x07u : c;
  if (n == 1 || end - p < static_cast<std::ptrdiff_t>(n)) {
    cp = c;
    return 1;
  }
  for (std::uint32_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(p[k]);
    if ((cc & 0xC0) != 0x80) {
      cp = c;
      return 1;
    }
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  return n;
}

inline std::string code_point_name(std::uint32_t cp) {
  static const char* hex = "0123456789ABCDEF";
  std::string digits;
  for (std::uint32_t v = cp; v > 0 || digits.size() < 4; v >>= 4) digits.insert(digits.begin(), hex[v & 15]);
  return "U+" + digits;
}

// Characters that look like blank space (or nothing) on screen.
inline bool blank_like(std::uint32_t cp) {
  return cp == 0xA0 || cp == 0xAD || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0x3000 || cp == 0xFEFF;
}

// The token at `pos` (`base`: the start of the text, for the offset). With
// `skip_spacing`, blanks, line ends and `#` comments before it are passed
// over (the rule parser); without, a line end is what is found (the case-file
// parser, whose lines end where they end).
inline Found found_token(const char* pos, const char* end, const char* base, bool skip_spacing) {
  const char* q = pos;
  while (skip_spacing && q < end) {
    if (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n') {
      ++q;
    } else if (*q == '#') {
      while (q < end && *q != '\n') ++q;
    } else {
      break;
    }
  }
  Found f{static_cast<std::uint32_t>(q - base), 1, {}, false};
  if (q == end) {
    f.length = 0;
    return f;
  }
  const char* r = q;
  if (*r >= '0' && *r <= '9') {
    // A number, with its decimals: `found 5.1`, not `found 5`.
    while (r < end && ident_char(*r)) ++r;
    if (r + 1 < end && *r == '.' && r[1] >= '0' && r[1] <= '9') {
      ++r;
      while (r < end && ident_char(*r)) ++r;
    }
  } else if (ident_char(*r)) {
    while (r < end && ident_char(*r)) ++r;
    f.word = true;
  } else if (static_cast<unsigned char>(*r) >= 0x80) {
    // One whole character, never a partial UTF-8 sequence.
    std::uint32_t cp = 0;
    r += utf8_char(r, end, cp);
    f.code_point = cp;
  } else if (*r == '"') {
    ++r;
    while (r < end && *r != '"' && *r != '\n') ++r;
    if (r < end && *r == '"') ++r;
  } else {
    // Operators: take up to two punctuation characters.
    ++r;
    if (r < end && std::string_view("=<>.&|").find(*r) != std::string_view::npos &&
        std::string_view("=<>!.&|").find(*q) != std::string_view::npos)
      ++r;
  }
  f.length = static_cast<std::uint32_t>(std::min<std::ptrdiff_t>(r - q, 40));
  f.text = std::string(q, q + f.length);
  return f;
}

// "`x`", "U+00A0 (a no-break space)", "the end of the line", or `end_name`
// at the end of the text.
inline std::string describe(const Found& f, std::string_view end_name = "the end of the file") {
  if (f.code_point >= 0x80) {
    std::uint32_t cp = f.code_point;
    std::string code = code_point_name(cp);
    if (cp == 0xFEFF) return code + " (a byte-order mark)";
    if (cp == 0xA0) return code + " (a no-break space)";
    if (cp == 0x200B) return code + " (a zero-width space)";
    // Invisible, control and direction characters are named, never printed.
    if (blank_like(cp) || cp < 0xA0 || (cp >= 0x202A && cp <= 0x206F) || cp >= 0xFFF0 || f.text.size() < 2)
      return code + " (an invisible or control character)";
    return "`" + f.text + "` (" + code + ")";
  }
  if (f.text.empty()) return std::string(end_name);
  if (f.text[0] == '\n' || f.text[0] == '\r') return "the end of the line";
  return "`" + f.text + "`";
}

}  // namespace advise
