// A JSON writer that appends straight to one string: no tree, no allocation
// per value. It writes exactly the bytes json_terminal_safe(nlohmann's dump())
// writes for the same document (compact, or indented by two spaces), so that
// the JSON report and `advise batch` read the same as before it existed
// (tests/golden): the same escapes (\b \f \n \r \t \" \\, other controls as
// \u00XX), DEL, the C1 controls and the bidirectional controls as \u escapes
// (kb/sanitize.hpp: safe to `cat`), everything else as is; the same numbers
// (nlohmann's shortest round-trip form for doubles) and, for a text that is
// not well-formed UTF-8, nlohmann's own replacement.
// Values go through the one converter, write_value_json (kb/value_json.hpp).
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "kb/sanitize.hpp"

namespace advise {

class JsonWriter {
 public:
  enum class Style : bool { Compact, Indented };
  explicit JsonWriter(std::string& out, Style style = Style::Compact) : out_(out), style_(style) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // The key of the next member of the current object; a value must follow.
  void key(std::string_view k) {
    element();
    string_body(k);
    out_ += style_ == Style::Indented ? "\": " : "\":";
    after_key_ = true;
  }

  void null() { scalar("null"); }
  void boolean(bool b) { scalar(b ? "true" : "false"); }
  void integer(long long v) {
    element();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
  void integer(unsigned long long v) {
    element();
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
  void integer(int v) { integer(static_cast<long long>(v)); }
  void integer(unsigned long v) { integer(static_cast<unsigned long long>(v)); }
  void integer(long v) { integer(static_cast<long long>(v)); }
  // A double as nlohmann writes one (null when not finite).
  void floating(double v) {
    if (!std::isfinite(v)) return null();
    element();
    char buf[64];
    char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(end - buf));
  }
  void string(std::string_view s) {
    element();
    string_body(s);
    out_ += '"';
  }
  // A text or null (an empty optional text).
  void string_or_null(const std::string* s) { s ? string(*s) : null(); }
  // A value already written as JSON text.
  void raw(std::string_view json) {
    element();
    out_ += json;
  }
  // A parsed document (or part of one), walked: the bytes
  // json_terminal_safe(its dump()) would be, in this writer's style.
  void value(const nlohmann::ordered_json& v);

  std::string& buffer() { return out_; }

  // A writer that goes on with the current array or object in another
  // string, as if this one had written an element already: what it writes
  // belongs right after what this one writes next, so that parts of one
  // document can be written at once and joined in order. Valid inside an
  // array or object that is not empty once joined, and not after a key.
  JsonWriter fork(std::string& out) const {
    JsonWriter w(out, style_);
    w.levels_ = levels_;
    if (!w.levels_.empty()) w.levels_.back().first = false;
    return w;
  }

  // The length of the well-formed UTF-8 character at s[i] (the bytes
  // nlohmann's decoder accepts), or 0 when it is not one.
  static std::size_t utf8_length(std::string_view s, std::size_t i);

 private:
  struct Level {
    bool first = true;
  };

  void scalar(std::string_view text) {
    element();
    out_ += text;
  }
  void open(char c) {
    element();
    out_ += c;
    levels_.push_back({});
  }
  void close(char c) {
    bool empty = levels_.back().first;
    levels_.pop_back();
    if (!empty && style_ == Style::Indented) {
      out_ += '\n';
      out_.append(2 * levels_.size(), ' ');
    }
    out_ += c;
  }
  // Before a value or a key: the separator and indentation it needs.
  void element() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (levels_.empty()) return;
    Level& l = levels_.back();
    if (!l.first) out_ += ',';
    l.first = false;
    if (style_ == Style::Indented) {
      out_ += '\n';
      out_.append(2 * levels_.size(), ' ');
    }
  }


  // The code point of the n-byte character at s[i] when a terminal would act
  // on it (C1 controls U+0080-U+009F; the bidirectional controls U+061C,
  // U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), else 0.
  static char32_t terminal_unsafe(std::string_view s, std::size_t i, std::size_t n) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (n == 2) {
      if (b(0) == 0xC2 && b(1) <= 0x9F) return b(1);
      if (b(0) == 0xD8 && b(1) == 0x9C) return 0x061C;
      return 0;
    }
    if (n != 3 || b(0) != 0xE2) return 0;
    char32_t cp = 0x2000 | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    bool bidi = cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
    return bidi ? cp : 0;
  }

  void hex_escape(char32_t cp) {
    static constexpr char hex[] = "0123456789abcdef";
    out_ += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out_ += hex[(cp >> shift) & 0xF];
  }

  // Whether any of the 8 bytes at p is a control, `"`, `\\`, DEL or not
  // ASCII (may say so of a plain byte next to one; never misses one).
  static bool needs_care(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    auto zero_in = [&](std::uint64_t x) { return (x - ones) & ~x & highs; };
    return ((w - ones * 0x20) & ~w & highs) | zero_in(w ^ (ones * '"')) | zero_in(w ^ (ones * '\\')) |
           zero_in(w ^ (ones * 0x7F)) | (w & highs);
  }

  // `"` and the escaped contents, without the closing quote.
  void string_body(std::string_view s) {
    std::size_t start = out_.size();
    out_ += '"';
    std::size_t run = 0;  // start of the bytes not yet copied
    for (std::size_t i = 0; i < s.size();) {
      // Eight bytes at a time while they are all plain ASCII.
      while (i + 8 <= s.size() && !needs_care(s.data() + i)) i += 8;
      if (i >= s.size()) break;
      auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\' && c < 0x7F) {
        ++i;
        continue;
      }
      if (c >= 0x80) {
        std::size_t n = utf8_length(s, i);
        if (n == 0) {  // not UTF-8: nlohmann's replacement, exactly
          out_.resize(start);
          std::string dumped = json_terminal_safe(
              nlohmann::json(std::string(s)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
          dumped.pop_back();  // the closing quote
          out_ += dumped;
          return;
        }
        char32_t cp = terminal_unsafe(s, i, n);
        if (cp == 0) {
          i += n;
          continue;
        }
        out_.append(s.data() + run, i - run);
        hex_escape(cp);
        i += n;
        run = i;
        continue;
      }
      if (c == 0x7F) {
        out_.append(s.data() + run, i - run);
        hex_escape(0x7F);
        run = ++i;
        continue;
      }
      out_.append(s.data() + run, i - run);
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: hex_escape(c);
      }
      ++i;
      run = i;
    }
    out_.append(s.data() + run, s.size() - run);
  }

  std::string& out_;
  Style style_;
  bool after_key_ = false;
  std::vector<Level> levels_;
};

inline void JsonWriter::value(const nlohmann::ordered_json& v) {
  using T = nlohmann::ordered_json::value_t;
  switch (v.type()) {
    case T::object:
      begin_object();
      for (auto it = v.begin(); it != v.end(); ++it) {
        key(it.key());
        value(it.value());
      }
      end_object();
      return;
    case T::array:
      begin_array();
      for (const auto& x : v) value(x);
      end_array();
      return;
    case T::string: string(v.get_ref<const std::string&>()); return;
    case T::boolean: boolean(v.get<bool>()); return;
    case T::number_integer: integer(v.get<long long>()); return;
    case T::number_unsigned: integer(v.get<unsigned long long>()); return;
    case T::number_float: floating(v.get<double>()); return;
    default: null(); return;
  }
}

inline std::size_t JsonWriter::utf8_length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto cont = [&](std::size_t k) { return (b(k) & 0xC0u) == 0x80u; };
  unsigned c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return b(1) >= 0xA0 && b(1) <= 0xBF && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return b(1) >= 0x80 && b(1) <= 0x9F && cont(2) ? 3 : 0;
  if (c == 0xF0) return b(1) >= 0x90 && b(1) <= 0xBF && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return b(1) >= 0x80 && b(1) <= 0x8F && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

}  // namespace advise
