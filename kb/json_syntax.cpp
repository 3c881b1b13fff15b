#include "kb/json_syntax.hpp"

#include <cctype>
#include <vector>

namespace advise {

namespace {

using Context = JsonSyntaxError::Context;
using Problem = JsonSyntaxError::Problem;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_literal_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.' || c == '_';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The ASCII names of the control characters, for "control character U+000A (LF)".
constexpr const char* kControlNames[32] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL",
                                           "BS",  "HT",  "LF",  "VT",  "FF",  "CR",  "SO",  "SI",
                                           "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
                                           "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};

std::string control_character(unsigned char c) {
  static const char* hex = "0123456789ABCDEF";
  std::string code = std::string("00") + hex[c >> 4] + hex[c & 15];
  std::string s = "control character U+" + code + " (" + kControlNames[c] + ") must be escaped to \\u" + code;
  switch (c) {
    case '\b': return s + " or \\b";
    case '\t': return s + " or \\t";
    case '\n': return s + " or \\n";
    case '\f': return s + " or \\f";
    case '\r': return s + " or \\r";
    default: return s;
  }
}

// One token of the text, or the lexical error inside it.
struct Token {
  enum class Kind : std::uint8_t { End, Punct, String, Number, Literal, Error } kind = Kind::End;
  std::size_t begin = 0, last = 0;  // `last`: its last byte
  Problem problem = Problem::Unexpected;
  std::string detail;
};

struct Lexer {
  std::string_view t;
  std::size_t i = 0;

  Token error(Problem p, std::size_t at, std::string detail = {}) {
    Token k;
    k.kind = Token::Kind::Error;
    k.problem = p;
    k.last = at;
    k.detail = std::move(detail);
    return k;
  }

  // A UTF-8 sequence starting at `i` (RFC 3629); false at its first bad byte, `bad`.
  bool utf8(std::size_t& bad) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(t[k]); };
    unsigned char c = b(i);
    std::size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 1;
    else if (c == 0xE0) n = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) n = 2;
    else if (c == 0xED) n = 2, hi = 0x9F;
    else if (c == 0xF0) n = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 3;
    else if (c == 0xF4) n = 3, hi = 0x8F;
    else {
      bad = i;
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      std::size_t at = i + k;
      if (at >= t.size() || b(at) < (k == 1 ? lo : 0x80) || b(at) > (k == 1 ? hi : 0xBF)) {
        bad = at < t.size() ? at : t.size() - 1;
        return false;
      }
    }
    i += n + 1;
    return true;
  }

  Token string() {
    std::size_t begin = i++;
    while (i < t.size()) {
      auto c = static_cast<unsigned char>(t[i]);
      if (c == '"') {
        Token k;
        k.kind = Token::Kind::String;
        k.begin = begin;
        k.last = i++;
        return k;
      }
      if (c < 0x20) return error(Problem::BadString, i, control_character(c));
      if (c == '\\') {
        if (i + 1 >= t.size()) break;
        char e = t[i + 1];
        if (e == 'u') {
          auto hex4 = [&](std::size_t at) {
            for (std::size_t k = at; k < at + 4; ++k)
              if (k >= t.size() || !is_hex(t[k])) return false;
            return true;
          };
          if (!hex4(i + 2)) return error(Problem::BadString, i + 1, "'\\u' must be followed by 4 hex digits");
          unsigned v = static_cast<unsigned>(std::stoul(std::string(t.substr(i + 2, 4)), nullptr, 16));
          i += 6;
          if (v >= 0xDC00 && v <= 0xDFFF)
            return error(Problem::BadString, i - 1, "surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF");
          if (v >= 0xD800 && v <= 0xDBFF) {
            bool low = i + 1 < t.size() && t[i] == '\\' && t[i + 1] == 'u' && hex4(i + 2);
            unsigned w = low ? static_cast<unsigned>(std::stoul(std::string(t.substr(i + 2, 4)), nullptr, 16)) : 0;
            if (!low || w < 0xDC00 || w > 0xDFFF)
              return error(Problem::BadString, i < t.size() ? i : t.size() - 1,
                           "surrogate U+D800..U+DBFF must be followed by U+DC00..U+DFFF");
            i += 6;
          }
          continue;
        }
        if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos)
          return error(Problem::BadString, i + 1, "forbidden character after backslash");
        i += 2;
        continue;
      }
      if (c >= 0x80) {
        std::size_t bad = 0;
        if (!utf8(bad)) return error(Problem::IllFormedUtf8, bad);
        continue;
      }
      ++i;
    }
    return error(Problem::UnclosedString, t.empty() ? 0 : t.size() - 1);
  }

  Token number() {
    std::size_t begin = i;
    auto at_end = [&] { return i >= t.size(); };
    auto bad = [&](const char* what) {
      return error(Problem::InvalidNumber, at_end() ? t.size() - 1 : i, std::string("invalid number; ") + what);
    };
    if (t[i] == '-') {
      ++i;
      if (at_end() || !is_digit(t[i])) return bad("expected digit after '-'");
    }
    if (t[i] == '0') {
      ++i;
    } else {
      while (!at_end() && is_digit(t[i])) ++i;
    }
    if (!at_end() && t[i] == '.') {
      ++i;
      if (at_end() || !is_digit(t[i])) return bad("expected digit after '.'");
      while (!at_end() && is_digit(t[i])) ++i;
    }
    if (!at_end() && (t[i] == 'e' || t[i] == 'E')) {
      ++i;
      if (!at_end() && (t[i] == '+' || t[i] == '-')) {
        ++i;
        if (at_end() || !is_digit(t[i])) return bad("expected digit after exponent sign");
      } else if (at_end() || !is_digit(t[i])) {
        return bad("expected '+', '-', or digit after exponent");
      }
      while (!at_end() && is_digit(t[i])) ++i;
    }
    Token k;
    k.kind = Token::Kind::Number;
    k.begin = begin;
    k.last = i - 1;
    return k;
  }

  Token next() {
    while (i < t.size() && is_blank(t[i])) ++i;
    Token k;
    k.begin = k.last = i;
    if (i >= t.size()) {
      k.last = t.empty() ? 0 : t.size() - 1;
      return k;
    }
    char c = t[i];
    if (std::string_view("{}[]:,").find(c) != std::string_view::npos) {
      k.kind = Token::Kind::Punct;
      ++i;
      return k;
    }
    if (c == '"') return string();
    if (c == '-' || is_digit(c)) return number();
    for (std::string_view word : {"true", "false", "null"}) {
      if (c != word[0]) continue;
      for (std::size_t n = 0; n < word.size(); ++n)
        if (i + n >= t.size() || t[i + n] != word[n])
          return error(Problem::InvalidLiteral, i + n < t.size() ? i + n : t.size() - 1);
      k.kind = Token::Kind::Literal;
      k.last = i + word.size() - 1;
      i += word.size();
      return k;
    }
    return error(Problem::InvalidLiteral, i);
  }
};

}  // namespace

std::optional<JsonSyntaxError> find_json_syntax_error(std::string_view text) {
  Lexer lx{text, text.substr(0, 3) == "\xEF\xBB\xBF" ? 3u : 0u};
  std::vector<char> open;  // '{' and '[' still open
  enum class Want : std::uint8_t { Value, FirstKey, Key, Colon, AfterValue, FirstItem };
  Want want = Want::Value;
  auto fail = [](Context ctx, const Token& k) {
    JsonSyntaxError e;
    e.context = ctx;
    e.last_read = k.last;
    if (k.kind == Token::Kind::Error) {
      e.problem = k.problem;
      e.detail = k.detail;
    } else {
      e.problem = k.kind == Token::Kind::End ? Problem::EndOfInput : Problem::Unexpected;
    }
    return std::optional<JsonSyntaxError>(std::move(e));
  };
  while (true) {
    Context ctx = Context::Value;
    switch (want) {
      case Want::Value:
      case Want::FirstItem: ctx = Context::Value; break;
      case Want::FirstKey:
      case Want::Key: ctx = Context::ObjectKey; break;
      case Want::Colon: ctx = Context::ObjectSeparator; break;
      case Want::AfterValue:
        ctx = open.empty() ? Context::AfterEnd : open.back() == '{' ? Context::Object : Context::Array;
        break;
    }
    Token k = lx.next();
    if (k.kind == Token::Kind::Error) return fail(ctx, k);
    char c = k.kind == Token::Kind::Punct ? text[k.begin] : '\0';
    switch (want) {
      case Want::FirstItem:
        if (c == ']') {
          open.pop_back();
          want = Want::AfterValue;
          continue;
        }
        [[fallthrough]];
      case Want::Value:
        if (k.kind == Token::Kind::String || k.kind == Token::Kind::Number || k.kind == Token::Kind::Literal) {
          want = Want::AfterValue;
        } else if (c == '{') {
          open.push_back('{');
          want = Want::FirstKey;
        } else if (c == '[') {
          open.push_back('[');
          want = Want::FirstItem;
        } else {
          return fail(ctx, k);
        }
        continue;
      case Want::FirstKey:
        if (c == '}') {
          open.pop_back();
          want = Want::AfterValue;
          continue;
        }
        [[fallthrough]];
      case Want::Key:
        if (k.kind != Token::Kind::String) return fail(ctx, k);
        want = Want::Colon;
        continue;
      case Want::Colon:
        if (c != ':') return fail(ctx, k);
        want = Want::Value;
        continue;
      case Want::AfterValue:
        if (open.empty()) {
          if (k.kind == Token::Kind::End) return std::nullopt;
          return fail(ctx, k);
        }
        if (c == ',') {
          want = open.back() == '{' ? Want::Key : Want::Value;
        } else if (c == (open.back() == '{' ? '}' : ']')) {
          open.pop_back();
        } else {
          return fail(ctx, k);
        }
        continue;
    }
  }
}

bool json_literal_char(char c) { return is_literal_char(c); }

std::size_t json_token_start(const std::string& t, std::size_t at) {
  if (at >= t.size()) return at;
  if (t[at] == '"' && at > 0) {
    // The closing quote of a string: back to its opening quote.
    for (std::size_t i = at; i-- > 0;) {
      if (t[i] != '"') continue;
      std::size_t slashes = 0;
      for (std::size_t k = i; k-- > 0 && t[k] == '\\';) ++slashes;
      if (slashes % 2 == 0) return i;
    }
    return at;
  }
  std::size_t s = at;
  if (!is_literal_char(t[s]) && s > 0 && is_literal_char(t[s - 1])) --s;
  if (!is_literal_char(t[s])) return at;
  while (s > 0 && is_literal_char(t[s - 1])) --s;
  return s;
}

namespace {

// Cuts `s` to at most `max` bytes on a UTF-8 character boundary, marking the cut.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// The token starting at `at`, for showing in a message.
std::string token_text(const std::string& t, std::size_t at) {
  if (at >= t.size()) return "";
  std::size_t end = at + 1;
  if (t[at] == '"') {
    while (end < t.size() && t[end] != '"') end += t[end] == '\\' ? 2 : 1;
    end = std::min(end + 1, t.size());
  } else if (is_literal_char(t[at])) {
    while (end < t.size() && is_literal_char(t[end])) ++end;
  } else {
    // One character; the whole of a multi-byte UTF-8 character.
    while (end < t.size() && (static_cast<unsigned char>(t[end]) & 0xC0) == 0x80) ++end;
  }
  std::string tok = t.substr(at, std::min<std::size_t>(end - at, 200));
  for (char& c : tok)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return cut(tok, 30);
}

std::string found_text(const std::string& tok) { return tok.empty() ? "the end of the text" : "`" + tok + "`"; }

}  // namespace

JsonSyntaxMessage describe_json_syntax_error(const std::string& text, const JsonSyntaxError& e,
                                             std::string_view one_document) {
  std::size_t last_read = std::min(e.last_read, text.size());
  std::size_t content_end = text.size();
  while (content_end > 0 && is_blank(text[content_end - 1])) --content_end;
  switch (e.problem) {
    case Problem::EndOfInput: {
      std::string closing = e.context == Context::Object  ? "; expected `}` to close the object"
                            : e.context == Context::Array ? "; expected `]` to close the list"
                                                          : "";
      return {content_end, "the text ends before the JSON is complete" + closing};
    }
    case Problem::UnclosedString: {
      // The opening quote: the last unescaped quote before the end.
      std::size_t at = last_read;
      for (std::size_t i = text.size(); i-- > 0;) {
        if (text[i] != '"') continue;
        std::size_t slashes = 0;
        for (std::size_t k = i; k-- > 0 && text[k] == '\\';) ++slashes;
        if (slashes % 2 == 0) {
          at = i;
          break;
        }
      }
      return {at, "a text in double quotes is not closed"};
    }
    case Problem::IllFormedUtf8: return {last_read, "the text is not valid UTF-8 here; save the file as UTF-8"};
    case Problem::BadString: return {last_read, "in a text in double quotes: " + e.detail};
    default: break;
  }
  std::size_t start = json_token_start(text, last_read);
  std::string tok = token_text(text, start);
  if (e.context == Context::AfterEnd)
    return {start, "unexpected " + found_text(tok) + " after the end of the JSON " +
                       (one_document.empty() ? std::string("document") : std::string(one_document))};
  if (e.problem == Problem::InvalidLiteral) {
    if (tok == "'") return {start, "texts and field names need double quotes, found `'`"};
    return {start,
            found_text(tok) + " is not a JSON value (texts need double quotes; the words JSON knows are true, false and null)"};
  }
  if (e.problem == Problem::InvalidNumber) return {start, e.detail + ", found " + found_text(tok)};
  // A token the grammar does not allow here.
  std::size_t before = start;
  while (before > 0 && is_blank(text[before - 1])) --before;
  bool after_comma = before > 0 && text[before - 1] == ',';
  bool value_like = !tok.empty() && (tok[0] == '"' || is_literal_char(tok[0]) || tok[0] == '{' || tok[0] == '[');
  switch (e.context) {
    case Context::ObjectKey:
      if (tok == "}" && after_comma) return {before - 1, "a comma before `}`; JSON allows no comma after the last field"};
      if (!tok.empty() && tok[0] == '\'') return {start, "field names need double quotes, found " + found_text(tok)};
      return {start, "expected a field name in double quotes, found " + found_text(tok)};
    case Context::ObjectSeparator: return {start, "expected `:` after the field name, found " + found_text(tok)};
    case Context::Object:
      return {start, "expected `,` or `}` after the value, found " + found_text(tok) +
                         (value_like ? "; is a comma missing?" : "")};
    case Context::Array:
      return {start, "expected `,` or `]` after the list item, found " + found_text(tok) +
                         (value_like ? "; is a comma missing?" : "")};
    default: break;
  }
  if (tok == "]" && after_comma) return {before - 1, "a comma before `]`; JSON allows no comma after the last item"};
  return {start, "expected a value (a text in double quotes, a number, true, false, a list or an object), found " +
                     found_text(tok)};
}

}  // namespace advise
