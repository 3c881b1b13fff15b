// Lexical helpers the rule parser and the case-file parser (cases/syntax.cpp)
// share: the two languages write names and strings the same way
// (docs/grammar.md).
#pragma once

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

}  // namespace advise
