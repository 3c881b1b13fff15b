#include "kb/profile.hpp"

#include "kb/limits.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#include "kb/json_syntax.hpp"
#include "kb/json_writer.hpp"
#include "kb/limits.hpp"
#include "kb/suggest.hpp"

namespace advise {

using nlohmann::ordered_json;

namespace {

constexpr std::size_t kNowhere = std::numeric_limits<std::size_t>::max();

// A problem and the byte offset in the text it points at (kNowhere when it
// has no place). Offsets become line and column in one sweep at the end.
struct Pending {
  DataError error;
  std::size_t offset = kNowhere;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_literal_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.' || c == '_';
}

// Cuts `s` to at most `max` bytes on a UTF-8 character boundary, marking the cut.
std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// A string as a message shows it: JSON escapes for what cannot be printed, cut when long.
std::string shown(const std::string& s, std::size_t max = 40) {
  std::string d = ordered_json(s).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return cut(d.substr(1, d.size() - 2), max);
}

bool plain_name(const std::string& k) {
  if (k.empty() || !(std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_')) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string json_kind(const ordered_json& j) {
  switch (j.type()) {
    case ordered_json::value_t::null: return "null";
    case ordered_json::value_t::boolean: return "a boolean";
    case ordered_json::value_t::number_integer:
    case ordered_json::value_t::number_unsigned: return "an integer";
    case ordered_json::value_t::number_float: return "a number";
    case ordered_json::value_t::string: return "a string";
    case ordered_json::value_t::array: return "a list";
    case ordered_json::value_t::object: return "an object";
    default: return "a value";
  }
}

// --- Where things are in a JSON text (used only when there are problems) ---

// Skips over JSON text that nlohmann has already accepted; never reads past the end.
struct Scanner {
  const std::string& t;
  std::size_t i = 0;
  bool more() const { return i < t.size(); }
  void blanks() {
    while (more() && is_blank(t[i])) ++i;
  }
  void string() {  // at '"'
    ++i;
    while (more()) {
      if (t[i] == '\\') {
        i += 2;
      } else if (t[i] == '"') {
        ++i;
        return;
      } else {
        ++i;
      }
    }
    i = t.size();
  }
  void value() {
    if (!more()) return;
    char c = t[i];
    if (c == '"') return string();
    if (c == '{' || c == '[') {
      std::size_t depth = 0;
      while (more()) {
        char d = t[i];
        if (d == '"') {
          string();
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if ((d == '}' || d == ']') && --depth == 0) {
          ++i;
          return;
        }
        ++i;
      }
      return;
    }
    while (more() && !is_blank(t[i]) && t[i] != ',' && t[i] != ']' && t[i] != '}') ++i;
  }
  void bom() {
    if (t.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
  }
};

// A member of the top-level object: where its key and value start, and
// where each item starts when the value is a list.
struct Member {
  std::string key;
  std::size_t key_at = 0, value_at = 0;
  std::vector<std::size_t> items;
  // When the value is an object (a map field): its keys and where each starts.
  std::vector<std::pair<std::string, std::size_t>> keys;
};

std::vector<Member> scan_members(const std::string& t) {
  std::vector<Member> out;
  Scanner s{t};
  s.bom();
  s.blanks();
  if (!s.more() || t[s.i] != '{') return out;
  ++s.i;
  while (true) {
    s.blanks();
    if (!s.more() || t[s.i] == '}') break;
    if (t[s.i] == ',') {
      ++s.i;
      continue;
    }
    if (t[s.i] != '"') break;
    Member m;
    m.key_at = s.i;
    s.string();
    auto k = ordered_json::parse(t.begin() + static_cast<std::ptrdiff_t>(m.key_at),
                                 t.begin() + static_cast<std::ptrdiff_t>(s.i), nullptr, false);
    if (k.is_string()) m.key = k.get<std::string>();
    s.blanks();
    if (s.more() && t[s.i] == ':') ++s.i;
    s.blanks();
    m.value_at = s.i;
    if (s.more() && t[s.i] == '[') {
      ++s.i;
      while (true) {
        s.blanks();
        if (!s.more()) break;
        if (t[s.i] == ']') {
          ++s.i;
          break;
        }
        if (t[s.i] == ',') {
          ++s.i;
          continue;
        }
        m.items.push_back(s.i);
        std::size_t before = s.i;
        s.value();
        if (s.i == before) ++s.i;
      }
    } else if (s.more() && t[s.i] == '{') {
      ++s.i;
      while (true) {
        s.blanks();
        if (!s.more()) break;
        if (t[s.i] == '}') {
          ++s.i;
          break;
        }
        if (t[s.i] == ',' || t[s.i] == ':') {
          ++s.i;
          continue;
        }
        std::size_t before = s.i;
        if (t[s.i] == '"') {
          s.string();
          auto nested = ordered_json::parse(t.begin() + static_cast<std::ptrdiff_t>(before),
                                            t.begin() + static_cast<std::ptrdiff_t>(s.i), nullptr, false);
          if (nested.is_string()) m.keys.emplace_back(nested.get<std::string>(), before);
          s.blanks();
          if (s.more() && t[s.i] == ':') ++s.i;
          s.blanks();
          if (!s.more()) break;
        }
        before = s.i;
        s.value();
        if (s.i == before) ++s.i;
      }
    } else {
      s.value();
    }
    out.push_back(std::move(m));
  }
  return out;
}

// Where the validator's problems point: for each top-level key, the member
// whose value was kept (the last, should a key appear twice).
class Locator {
 public:
  explicit Locator(const std::string& text) : members_(scan_members(text)) {
    for (std::size_t i = 0; i < members_.size(); ++i) last_[members_[i].key] = i;
  }
  const Member* find(const std::string& key) const {
    auto it = last_.find(key);
    return it == last_.end() ? nullptr : &members_[it->second];
  }
  const std::vector<Member>& members() const { return members_; }

 private:
  std::vector<Member> members_;
  std::unordered_map<std::string, std::size_t> last_;
};

// Converts offsets to 1-based line and column (columns count characters, so
// that they agree with editors on UTF-8 text; a byte-order mark is not one)
// in one pass over the text.
void place(const std::string& text, std::vector<Pending>& pending) {
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < pending.size(); ++i)
    if (pending[i].offset != kNowhere) order.push_back(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return pending[a].offset < pending[b].offset; });
  std::uint32_t line = 1, col = 1;
  std::size_t at = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  for (std::size_t idx : order) {
    std::size_t target = std::min(pending[idx].offset, text.size());
    for (; at < target; ++at) {
      unsigned char c = static_cast<unsigned char>(text[at]);
      if (c == '\n') {
        ++line;
        col = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++col;
      }
    }
    pending[idx].error.line = line;
    pending[idx].error.column = col;
  }
}

// --- Syntax errors ---

// The start of the token that ends at `at` (kb/json_syntax.hpp).
std::size_t token_start(const std::string& t, std::size_t at) { return json_token_start(t, at); }

// The syntax error nlohmann stopped at, in words: the place and the message
// come from our own scanner (kb/json_syntax.hpp), not from nlohmann's text.
Pending syntax_error(const std::string& text, const std::string& source, std::size_t byte) {
  Pending out;
  out.error.file = source;
  out.error.kind = DataError::Kind::Syntax;
  std::size_t content_end = text.size();
  while (content_end > 0 && is_blank(text[content_end - 1])) --content_end;
  if (content_end == 0 || (content_end == 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)) {
    out.offset = 0;
    out.error.message = "the profile is empty; a profile is a JSON object, like {\"stage\": \"ms3\", \"step2ck\": 251}";
    return out;
  }
  auto found = find_json_syntax_error(text);
  if (!found) {  // nlohmann and the scanner disagree: say where nlohmann stopped
    out.offset = byte > 0 ? std::min(byte - 1, text.size()) : 0;
    out.error.message = "invalid JSON";
    return out;
  }
  JsonSyntaxMessage m = describe_json_syntax_error(text, *found, "object; a profile is one object");
  out.offset = m.offset;
  out.error.message = "invalid JSON: " + m.message;
  return out;
}

// --- Reading the text ---

// A pointer into the text that publishes how far the reader has got, so that
// the SAX handler below can say where it is (nlohmann's lexer keeps that to
// itself). The lexer reads at most one character past a number.
struct TrackedChar {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  const char* p = nullptr;
  const char** seen = nullptr;  // shared; null for the end iterator
  reference operator*() const { return *p; }
  TrackedChar& operator++() {
    ++p;
    if (seen) *seen = p;
    return *this;
  }
  TrackedChar operator++(int) {
    TrackedChar old = *this;
    ++*this;
    return old;
  }
  friend bool operator==(const TrackedChar& a, const TrackedChar& b) { return a.p == b.p; }
};

// Builds the ordered_json a profile's text holds, in time linear in the text:
// each object's keys are indexed in a hash table, so that a duplicate is
// found in O(1) and a member is appended without ordered_map's linear search.
// Stops at the first problem that makes the text unreadable (too deep, too
// many keys, a number out of range, a syntax error) and records it.
class Builder {
 public:
  using number_integer_t = ordered_json::number_integer_t;
  using number_unsigned_t = ordered_json::number_unsigned_t;
  using number_float_t = ordered_json::number_float_t;
  using string_t = ordered_json::string_t;
  using binary_t = ordered_json::binary_t;

  struct Dup {
    std::string key, top;
    bool nested;
  };
  enum class Stop { None, TooDeep, TooManyKeys, Underflow, Overflow, Syntax };

  Builder(const std::string& text, const char** seen) : text_(text), seen_(seen) {}

  bool null() { return put(nullptr); }
  bool boolean(bool b) { return put(b); }
  bool number_integer(number_integer_t n) { return put(n); }
  bool number_unsigned(number_unsigned_t n) { return put(n); }
  bool number_float(number_float_t d, const string_t& token) {
    if (d == 0 && nonzero_mantissa(token)) {
      stop = Stop::Underflow;
      literal = token;
      at = token_start(text_, read() - 1);
      where = path(true);
      return false;
    }
    return put(d);
  }
  bool string(string_t& s) { return put(std::move(s)); }
  bool binary(binary_t&) { return false; }  // not in JSON text
  bool start_object(std::size_t) { return open(ordered_json::value_t::object); }
  bool start_array(std::size_t) { return open(ordered_json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(string_t& k) {
    Frame& f = frames_.back();
    auto& members = static_cast<ordered_json::object_t::Container&>(stack_.back()->get_ref<ordered_json::object_t&>());
    if (members.size() + f.repeats >= kMaxProfileKeys) {
      stop = Stop::TooManyKeys;
      at = token_start(text_, read() - 1);
      where = frames_.size() == 1 ? "$" : top_path();
      nested = frames_.size() > 1;
      return false;
    }
    if (frames_.size() == 1) top_ = k;
    auto [it, fresh] = f.index.try_emplace(k, members.size());
    if (fresh) {
      members.emplace_back(std::move(k), nullptr);
      slot_ = &members.back().second;
    } else {
      // The last value of a key is kept, where the key first appeared (as
      // nlohmann does); the problem is reported, once per top-level field
      // for keys repeated deeper down.
      ++f.repeats;
      slot_ = &members[it->second].second;
      *slot_ = nullptr;
      bool inner = frames_.size() > 1;
      if (!inner || nested_dup_in_.insert(top_).second) dups.push_back({it->first, top_, inner});
    }
    f.key = &members[it->second].first;
    return true;
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string&, const Exception& e) {
    if constexpr (std::is_same_v<Exception, ordered_json::out_of_range>) {
      // 406: a number too large for a double; the literal is the one that
      // ends where the reading stopped.
      (void)e;
      stop = Stop::Overflow;
      at = position > 0 ? token_start(text_, std::min(position, text_.size()) - 1) : kNowhere;
      literal.clear();
      for (std::size_t i = at; i < text_.size() && is_literal_char(text_[i]); ++i) literal += text_[i];
      where = path(true);
    } else {
      // A syntax error: what it is, kb/json_syntax.hpp says (syntax_error).
      (void)e;
      stop = Stop::Syntax;
      syntax_byte = position;
    }
    return false;
  }

  // What was read, and what stopped the reading.
  ordered_json root;
  Stop stop = Stop::None;
  std::size_t at = kNowhere;  // where the problem that stopped the reading is
  std::string where, literal;
  bool nested = false;
  std::size_t syntax_byte = 0;  // where nlohmann stopped on a syntax error
  std::vector<Dup> dups;

 private:
  struct Frame {
    std::unordered_map<std::string, std::size_t> index;  // objects: key -> member
    std::size_t repeats = 0;                              // objects: keys seen again
    const std::string* key = nullptr;                     // objects: the member being read
  };

  static bool nonzero_mantissa(const std::string& literal) {
    for (char c : literal) {
      if (c == 'e' || c == 'E') break;
      if (c >= '1' && c <= '9') return true;
    }
    return false;
  }
  std::size_t read() const { return static_cast<std::size_t>(*seen_ - text_.data()); }

  // Where the next value goes; null when it is the whole document.
  ordered_json* place_for_value() {
    if (stack_.empty()) return &root;
    ordered_json& top = *stack_.back();
    if (top.is_array()) {
      auto& items = top.get_ref<ordered_json::array_t&>();
      items.emplace_back();
      return &items.back();
    }
    return slot_;
  }
  template <class V>
  bool put(V&& v) {
    *place_for_value() = ordered_json(std::forward<V>(v));
    return true;
  }
  bool open(ordered_json::value_t kind) {
    if (stack_.size() >= static_cast<std::size_t>(kMaxProfileDepth)) {
      stop = Stop::TooDeep;
      return false;
    }
    ordered_json* v = place_for_value();
    *v = ordered_json(kind);
    stack_.push_back(v);
    frames_.emplace_back();
    return true;
  }
  bool close() {
    stack_.pop_back();
    frames_.pop_back();
    return true;
  }
  static std::string step(const std::string& key) {
    if (plain_name(key)) return "." + key;
    return "[" + ordered_json(key).dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "]";
  }
  // The JSON path of the value being read; `pending` when it is not yet in its list.
  std::string path(bool pending) const {
    std::string p = "$";
    for (std::size_t i = 0; i < stack_.size(); ++i) {
      if (stack_[i]->is_array()) {
        std::size_t n = stack_[i]->size();
        bool innermost = i + 1 == stack_.size();
        p += "[" + std::to_string(innermost && pending ? n : n - 1) + "]";
      } else if (frames_[i].key) {
        p += step(*frames_[i].key);
      }
    }
    return p;
  }
  std::string top_path() const { return profile_path(top_); }

  const std::string& text_;
  const char** seen_;
  std::vector<ordered_json*> stack_;  // the open lists and objects
  std::vector<Frame> frames_;         // one per open list or object
  ordered_json* slot_ = nullptr;      // the member whose key was just read
  std::string top_;                   // the top-level key being read
  std::unordered_set<std::string> nested_dup_in_;
};

// A text that is not UTF-8 JSON at all: UTF-16, or binary with NUL bytes
// (nlohmann's reader would take a NUL byte for the end of the text).
std::optional<Pending> not_text(const std::string& text, const std::string& source) {
  const std::string convert = "; save it as UTF-8, for example with `iconv -f UTF-16 -t UTF-8`";
  auto problem = [&](std::size_t offset, std::string message) {
    return Pending{{source, "", 0, 0, std::move(message), {}, DataError::Kind::Syntax}, offset};
  };
  if (text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF')))
    return problem(0, "invalid JSON: the profile is UTF-16 (it starts with a UTF-16 byte-order mark)" + convert);
  const void* nul = std::memchr(text.data(), 0, text.size());
  if (!nul) return std::nullopt;
  // ASCII in UTF-16: a NUL byte after (little-endian) or before (big-endian)
  // every character, as far as the first few characters show.
  std::size_t n = std::min<std::size_t>(text.size(), 64) & ~std::size_t{1};
  for (std::size_t zero = 0; zero < 2 && n >= 4; ++zero) {
    bool utf16 = true;
    for (std::size_t i = 0; i < n && utf16; i += 2) {
      auto c = static_cast<unsigned char>(text[i + 1 - zero]);
      utf16 = text[i + zero] == '\0' && c != 0 && c < 0x80;
    }
    if (utf16) return problem(0, "invalid JSON: the profile looks like UTF-16 (every other byte is a NUL byte)" + convert);
  }
  return problem(static_cast<std::size_t>(static_cast<const char*>(nul) - text.data()),
                 "invalid JSON: found a NUL byte (0x00), so this is not text; a profile is a JSON object in UTF-8");
}

// Parses, collecting problems with their offsets; nothing when the text
// cannot be read. With duplicate keys the value is returned (the last of
// each key kept) so that its other problems can be reported too;
// `duplicates` tells.
std::optional<ordered_json> parse_pending(const std::string& text, const std::string& source,
                                          std::vector<Pending>& out, bool& duplicates) {
  std::size_t before = out.size();
  auto fail = [&](std::size_t offset, std::string path, std::string message,
                  DataError::Kind kind = DataError::Kind::Syntax) {
    out.push_back({{source, std::move(path), 0, 0, std::move(message), {}, kind}, offset});
    return std::nullopt;
  };
  if (auto p = not_text(text, source)) {
    out.push_back(std::move(*p));
    return std::nullopt;
  }
  const char* seen = text.data();
  Builder b(text, &seen);
  TrackedChar first{text.data(), &seen}, last{text.data() + text.size(), nullptr};
  try {
    ordered_json::sax_parse(first, last, &b, nlohmann::detail::input_format_t::json, true, false);
  } catch (const ordered_json::exception&) {
    out.push_back(syntax_error(text, source, static_cast<std::size_t>(seen - text.data())));
    return std::nullopt;
  }
  switch (b.stop) {
    case Builder::Stop::None: break;
    case Builder::Stop::TooDeep: {
      // The first list or object that opens too deep.
      Scanner s{text};
      int depth = 0;
      while (s.more()) {
        char c = text[s.i];
        if (c == '"') {
          s.string();
          continue;
        }
        if (c == '{' || c == '[') {
          if (++depth > kMaxProfileDepth) break;
        } else if (c == '}' || c == ']') {
          --depth;
        }
        ++s.i;
      }
      return fail(s.i, "", "lists and objects nest deeper than " + std::to_string(kMaxProfileDepth) +
                               " levels; a profile is a flat object of fields",
                  DataError::Kind::Limit);
    }
    case Builder::Stop::TooManyKeys: {
      std::string limit = std::to_string(kMaxProfileKeys);
      return fail(b.at, b.where,
                  (b.nested ? "an object inside this value has more than " + limit + " keys"
                             : "the profile has more than " + limit + " fields") +
                      "; an object in a profile may have at most " + limit + " keys",
                  DataError::Kind::Limit);
    }
    case Builder::Stop::Underflow:
      return fail(b.at, b.where,
                  "invalid JSON: the number `" + cut(b.literal, 30) +
                      "` is too small to represent (it underflows to 0); write 0 if zero is meant");
    case Builder::Stop::Overflow:
      return fail(b.at, b.where, "invalid JSON: the number `" + cut(b.literal, 30) + "` is too large");
    case Builder::Stop::Syntax:
      out.push_back(syntax_error(text, source, b.syntax_byte));
      return std::nullopt;
  }
  if (!b.dups.empty()) {
    Locator loc(text);
    // For each key, where it occurs, in order; each duplicate takes the next one.
    std::unordered_map<std::string, std::vector<std::size_t>> occurrences;
    std::unordered_map<std::string, std::size_t> used;
    for (const Member& m : loc.members()) occurrences[m.key].push_back(m.key_at);
    for (const Builder::Dup& d : b.dups) {
      Pending p;
      p.error.file = source;
      p.error.path = profile_path(d.top);
      if (d.nested) {
        p.error.message = "the key `" + shown(d.key) + "` appears twice in one object inside this value; keep one";
        if (const Member* m = loc.find(d.top)) p.offset = m->value_at;
      } else {
        p.error.message = "the field `" + shown(d.key) + "` appears twice; keep one";
        const auto& at = occurrences[d.key];
        std::size_t n = ++used[d.key];  // 1 for the first duplicate: the second occurrence
        if (n < at.size()) p.offset = at[n];
      }
      out.push_back(std::move(p));
    }
  }
  duplicates = !b.dups.empty();
  if (out.size() > before && !duplicates) return std::nullopt;
  return std::move(b.root);
}

// A hint for a value of the wrong JSON type that is obviously meant as the right one.
std::optional<std::string> type_hint(const KnowledgeBase& kb, const FieldDef& f, const ordered_json& v) {
  const TypeDesc& d = kb.types.at(f.type);
  if ((d.kind == TypeKind::Integer || d.kind == TypeKind::Number) && v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    auto n = ordered_json::parse(s, nullptr, false);
    if (!s.empty() && !n.is_discarded() && n.is_number()) return n.dump();
  }
  if (d.kind == TypeKind::Boolean && v.is_string()) {
    std::string s = v.get<std::string>();
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "true" || s == "yes") return "true";
    if (s == "false" || s == "no") return "false";
  }
  if (d.kind == TypeKind::Boolean && v.is_number() && (v == 0 || v == 1)) return v == 1 ? "true" : "false";
  if (d.kind == TypeKind::List && (v.is_string() || v.is_number())) return "[" + cut(v.dump(), 60) + "]";
  return std::nullopt;
}

// An enum value written in another case or with spaces or hyphens: `HIGH`, `Internal Medicine`.
std::optional<std::string> enum_hint(const KnowledgeBase& kb, TypeId t, const ordered_json& v) {
  const TypeDesc* d = &kb.types.at(t);
  if (d->kind == TypeKind::List) d = &kb.types.at(d->elem);
  if (d->kind != TypeKind::Enum || !v.is_string()) return std::nullopt;
  std::string s;
  for (unsigned char c : v.get_ref<const std::string&>())
    s += (c == ' ' || c == '-') ? '_' : static_cast<char>(std::tolower(c));
  const EnumDef& e = kb.enums.at(static_cast<std::size_t>(d->enum_id));
  if (e.find(s) >= 0) return s;
  return std::nullopt;
}

std::optional<std::string> field_hint(const KnowledgeBase& kb, const std::string& key,
                                      const std::vector<std::string>& names) {
  // The rules' aliases: `specialty` is `target_specialty` in a profile.
  if (const std::string* target = kb.alias(key); target && kb.field_index(*target) >= 0) return *target;
  // Spellings that differ only in case, `_` and `-`: step2_ck, Step2CK.
  std::string squashed;
  for (char c : key)
    if (c != '_' && c != '-' && c != ' ') squashed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const std::string& n : names) {
    std::string sn;
    for (char c : n)
      if (c != '_') sn += c;
    if (sn == squashed) return n;
  }
  return did_you_mean(key, names);
}

// The validation proper; `text` (may be null) gives problems their places.
// The x_ values are copied into the profile, or moved when `j` may be
// given up (`take_carried`: they can be large, and validation never looks
// at them).
// Fields that each hold a valid value but contradict each other. Each problem
// is reported at the second field, and names both JSON paths.
// Fields that each hold a valid value but contradict each other. Each problem
// is reported at the second field's value, and names the other's JSON path.
void contradictions(const Profile& p, const KnowledgeBase& kb, const std::optional<Locator>& loc,
                    std::vector<Pending>& out) {
  auto get = [&](const char* name) -> const Value* {
    int i = kb.field_index(name);
    if (i < 0) return nullptr;
    const Value& v = p.values[static_cast<std::size_t>(i)];
    return v.is_missing() ? nullptr : &v;
  };
  auto sym = [&](const Value* v) -> std::string {
    if (!v || v->kind != Value::Kind::Symbol) return "";
    return kb.display(*v);
  };
  auto num = [](const Value* v) { return static_cast<long>(v->num); };
  auto report = [&](const char* at, std::string msg) {
    std::size_t where = kNowhere;
    if (loc)
      if (const Member* m = loc->find(at)) where = m->value_at;
    out.push_back({{p.source, profile_path(at), 0, 0, std::move(msg), {}}, where});
  };
  const Value* step1 = get("step1");
  const Value* step1_attempts = get("step1_attempts");
  if (step1 && step1_attempts) {
    std::string r = sym(step1);
    long n = num(step1_attempts);
    if ((r == "pass" || r == "fail") && n == 0)
      report("step1_attempts", "0 attempts, but `$.step1` is `" + r +
                                   "`: a result needs at least one attempt; count every attempt, the one that " +
                                   (r == "pass" ? "passed" : "failed") + " included");
    else if (r == "not_taken" && n > 0)
      report("step1_attempts", std::to_string(n) + (n == 1 ? " attempt" : " attempts") +
                                   ", but `$.step1` is `not_taken`; give the latest result as `pass` or `fail`, "
                                   "or leave out step1_attempts");
  }
  const Value* step2ck = get("step2ck");
  const Value* step2_attempts = get("step2ck_attempts");
  if (step2ck && step2_attempts && num(step2_attempts) == 0)
    report("step2ck_attempts", "0 attempts, but `$.step2ck` gives a score of " + std::to_string(num(step2ck)) +
                                   ": a score needs at least one attempt; count every attempt, or leave out "
                                   "step2ck if the exam is not taken");
  if (!step2ck && step2_attempts && num(step2_attempts) > 0)
    report("step2ck_attempts", std::to_string(num(step2_attempts)) +
                                   (num(step2_attempts) == 1 ? " attempt" : " attempts") +
                                   ", but `$.step2ck` is left out, which means the exam is not taken; add the "
                                   "latest score as step2ck, or make step2ck_attempts 0");
  const Value* stage = get("stage");
  const Value* years = get("years_since_graduation");
  if (years && stage && sym(stage) != "graduate")
    report("years_since_graduation", "given, but `$.stage` is `" + sym(stage) +
                                         "`: years since graduation are for graduates; leave it out, or make "
                                         "stage `graduate`");
  // The program list's fields (docs/catalog.md, "The applicant's side").
  auto report_at = [&](std::string path, std::size_t offset, std::string msg,
                       std::optional<std::string> suggestion = std::nullopt) {
    out.push_back({{p.source, std::move(path), 0, 0, std::move(msg), std::move(suggestion)}, offset});
  };
  auto member = [&](const char* field) -> const Member* { return loc ? loc->find(field) : nullptr; };
  const Value* prefs = get("geographic_preferences");
  if (prefs && prefs->kind == Value::Kind::List) {
    const Member* m = member("geographic_preferences");
    const auto& items = *prefs->items;
    auto item_at = [&](std::size_t i) { return m && i < m->items.size() ? m->items[i] : kNowhere; };
    for (std::size_t i = 1; i < items.size(); ++i)
      for (std::size_t k = 0; k < i; ++k)
        if (items[k] == items[i]) {
          report_at("$.geographic_preferences[" + std::to_string(i) + "]", item_at(i),
                    "`" + kb.display(items[i]) + "` is already `$.geographic_preferences[" + std::to_string(k) +
                        "]`; name each census division once");
          break;
        }
    if (items.size() > 3)
      report_at("$.geographic_preferences[3]", item_at(3),
                std::to_string(items.size()) +
                    " census divisions; ERAS takes at most 3 geographic preferences: keep the three the applicant "
                    "prefers most");
  }
  const Value* connections = get("program_connections");
  if (connections && connections->kind == Value::Kind::Map) {
    const Member* m = member("program_connections");
    const auto& pairs = *connections->items;
    for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
      if (pairs[i].kind != Value::Kind::Text) continue;
      const std::string& id = *pairs[i].text;
      bool digits = !id.empty();
      for (char c : id) digits = digits && c >= '0' && c <= '9';
      if (digits && id.size() == 10) continue;
      std::size_t at = kNowhere;
      if (m)
        for (const auto& [k, k_at] : m->keys)
          if (k == id) at = k_at;
      std::string why = digits && id.size() == 9 ? " (a spreadsheet drops a leading zero unless the column is formatted as text)" : "";
      report_at("$.program_connections." + id, at,
                "a connection is keyed by an ACGME program id of 10 digits, found `" + shown(id) + "`" +
                    (digits ? " (" + std::to_string(id.size()) + (id.size() == 1 ? " digit)" : " digits)") : "") + why,
                digits && id.size() == 9 ? std::optional<std::string>("0" + id) : std::nullopt);
    }
  }
  // Years: residency starts on 1 July of the match year, after graduation
  // and after Step 2 CK (docs/catalog.md, "The applicant's side").
  const Value* graduation = get("graduation_year");
  const Value* match = get("match_year");
  const Value* step2_year = get("step2ck_year");
  if (graduation && match && num(graduation) > num(match))
    report("graduation_year", std::to_string(num(graduation)) + ", after `$.match_year` " +
                                  std::to_string(num(match)) +
                                  ": residency starts on 1 July of the match year, after graduation; correct one of "
                                  "the two");
  if (step2_year && match && num(step2_year) > num(match))
    report("step2ck_year", std::to_string(num(step2_year)) + ", after `$.match_year` " + std::to_string(num(match)) +
                               ": programs rank applicants on a Step 2 CK score taken before the Match; correct one "
                               "of the two");
  if (step2_year && !step2ck)
    report("step2ck_year", "given, but `$.step2ck` is left out, which means the exam is not taken; add the score as "
                           "step2ck, or leave out step2ck_year");
  if (years && graduation && match && num(graduation) <= num(match) &&
      num(years) > num(match) - num(graduation))
    report("years_since_graduation",
           std::to_string(num(years)) + " years, but `$.graduation_year` " + std::to_string(num(graduation)) +
               " and `$.match_year` " + std::to_string(num(match)) + " make " +
               std::to_string(num(match) - num(graduation)) +
               " at the start of residency, and no more can have passed before it; correct one of the three");
  const Value* done = get("core_rotations_done");
  const Value* honors = get("core_honors");
  if (done && honors && done->kind == Value::Kind::List && honors->kind == Value::Kind::List) {
    for (const Value& h : *honors->items) {
      bool found = false;
      for (const Value& d : *done->items) found = found || d == h;
      if (!found) {
        report("core_honors", "`" + kb.display(h) + "` has honors but is not in `$.core_rotations_done`; add it "
                              "there, or take it out of core_honors");
        break;
      }
    }
  }
}

std::optional<Profile> validate(const ordered_json& j, const std::string& source, const KnowledgeBase& kb,
                                const std::string* text, std::vector<Pending>& out,
                                ordered_json* take_carried = nullptr) {
  std::size_t before = out.size();
  std::optional<Locator> loc;
  if (text) loc.emplace(*text);
  auto value_start = [&]() -> std::size_t {
    if (!text) return kNowhere;
    Scanner s{*text};
    s.bom();
    s.blanks();
    return s.i;
  };
  if (!j.is_object()) {
    out.push_back({{source, "$", 0, 0,
                    "expected a JSON object of profile fields, like {\"stage\": \"ms3\", \"step2ck\": 251}, found " +
                        json_kind(j),
                    {}},
                   value_start()});
    return std::nullopt;
  }
  Profile p;
  p.source = source;
  p.kb = &kb;
  p.values.assign(kb.fields.size(), Value{});
  std::vector<std::string> names;
  names.reserve(kb.fields.size());
  for (const FieldDef& f : kb.fields) names.push_back(f.name);
  auto& carried = static_cast<ordered_json::object_t::Container&>(p.carried.get_ref<ordered_json::object_t&>());
  std::size_t member = 0;
  for (auto it = j.begin(); it != j.end(); ++it, ++member) {
    const std::string& key = it.key();
    if (key.rfind("x_", 0) == 0) {
      // Keys are unique here: append, without ordered_map's linear search.
      if (take_carried)
        carried.emplace_back(key, std::move(static_cast<ordered_json::object_t::Container&>(
                                                 take_carried->get_ref<ordered_json::object_t&>())[member]
                                                 .second));
      else
        carried.emplace_back(key, it.value());
      continue;
    }
    const Member* m = loc ? loc->find(key) : nullptr;
    std::size_t key_at = m ? m->key_at : kNowhere, value_at = m ? m->value_at : kNowhere;
    std::string path = profile_path(key);
    int idx = kb.field_index(key);
    if (idx < 0) {
      out.push_back({{source, path, 0, 0,
                      "unknown field `" + shown(key) + "` (prefix it with `x_` to carry a field Advise should ignore)",
                      field_hint(kb, key, names), DataError::Kind::UnknownField},
                     key_at});
      continue;
    }
    const FieldDef& f = kb.fields[static_cast<std::size_t>(idx)];
    if (it.value().is_null()) {
      out.push_back({{source, path, 0, 0, "null is not a value; leave the field out when it is not known", {}},
                     value_at});
      continue;
    }
    if (it.value().is_array() && it.value().size() > kMaxProfileListItems) {
      out.push_back({{source, path, 0, 0,
                      "the list has " + std::to_string(it.value().size()) +
                          " items; a list in a profile field may have at most " +
                          std::to_string(kMaxProfileListItems),
                      {}, DataError::Kind::Limit},
                     value_at});
      continue;
    }
    std::vector<DataError> errs;
    Value v;
    // value_from_json reads nlohmann::json; a field's value is small.
    if (kb.value_from_json(nlohmann::json(it.value()), f.type, &f, path, v, errs)) {
      p.values[static_cast<std::size_t>(idx)] = std::move(v);
      continue;
    }
    for (DataError& e : errs) {
      e.file = source;
      std::size_t at = value_at;
      if (e.path == path) {
        if (!e.suggestion) e.suggestion = type_hint(kb, f, it.value());
        if (!e.suggestion) e.suggestion = enum_hint(kb, f.type, it.value());
      } else if (e.path.size() > path.size() + 1 && e.path.compare(0, path.size() + 1, path + "[") == 0) {
        std::size_t item = std::strtoul(e.path.c_str() + path.size() + 1, nullptr, 10);
        if (m && item < m->items.size()) at = m->items[item];
        if (!e.suggestion && it.value().is_array() && item < it.value().size())
          e.suggestion = enum_hint(kb, f.type, it.value()[item]);
      }
      out.push_back({std::move(e), at});
    }
  }
  contradictions(p, kb, loc, out);
  if (out.size() > before) return std::nullopt;
  return p;
}

void finish(std::vector<Pending>& pending, const std::string* text, std::vector<DataError>& errors) {
  if (text) place(*text, pending);
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    // Problems with no place first (they are about the whole profile), then in document order.
    std::size_t x = a.offset == kNowhere ? 0 : a.offset + 1, y = b.offset == kNowhere ? 0 : b.offset + 1;
    return x < y;
  });
  for (Pending& p : pending) errors.push_back(std::move(p.error));
}


// The one-pass reader of the usual profile: a flat object of well-formed
// fields, read and validated in a single sweep over the text, with no JSON
// tree (docs/engine.md, "Start-up and reading"). It accepts only what the
// full reader below accepts with exactly the same result, and gives up
// (nothing) at the first thing it does not handle or that is wrong: escapes
// in a text, a non-scalar `x_` field, an exponent, a null, an unknown field,
// a value out of range or of the wrong type, a duplicate key, a contradiction.
// The full reader then reads the text again and says what is wrong, with
// line and column, exactly as before; so every message stays the same.
class FastReader {
 public:
  FastReader(const std::string& text, const std::string& source, const KnowledgeBase& kb)
      : t_(text), kb_(kb), source_(source) {}

  std::optional<Profile> read() {
    Profile p;
    p.source = source_;
    p.kb = &kb_;
    p.values.assign(kb_.fields.size(), Value{});
    std::vector<bool> seen(kb_.fields.size(), false);
    auto& carried = static_cast<ordered_json::object_t::Container&>(p.carried.get_ref<ordered_json::object_t&>());
    blanks();
    if (!eat('{')) return std::nullopt;
    blanks();
    if (!eat('}')) {
      std::size_t keys = 0;
      while (true) {
        std::string_view key;
        if (!text(key) || ++keys > kMaxProfileKeys) return std::nullopt;
        blanks();
        if (!eat(':')) return std::nullopt;
        blanks();
        if (key.size() >= 2 && key[0] == 'x' && key[1] == '_') {
          for (const auto& kv : carried)
            if (kv.first == key) return std::nullopt;
          ordered_json v;
          if (!carried_scalar(v)) return std::nullopt;
          carried.emplace_back(std::string(key), std::move(v));
        } else {
          int idx = kb_.field_index(key);
          if (idx < 0 || seen[static_cast<std::size_t>(idx)]) return std::nullopt;
          seen[static_cast<std::size_t>(idx)] = true;
          const FieldDef& f = kb_.fields[static_cast<std::size_t>(idx)];
          if (!value(f.type, f, p.values[static_cast<std::size_t>(idx)], true)) return std::nullopt;
        }
        blanks();
        if (eat('}')) break;
        if (!eat(',')) return std::nullopt;
        blanks();
      }
    }
    blanks();
    if (i_ != t_.size()) return std::nullopt;
    std::vector<Pending> problems;
    contradictions(p, kb_, std::nullopt, problems);
    if (!problems.empty()) return std::nullopt;
    return p;
  }

 private:
  void blanks() {
    while (i_ < t_.size() && is_blank(t_[i_])) ++i_;
  }
  bool eat(char c) {
    if (i_ < t_.size() && t_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    if (t_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }
  // A text without escapes or controls, well-formed UTF-8.
  bool text(std::string_view& out) {
    if (!eat('"')) return false;
    std::size_t start = i_;
    while (i_ < t_.size()) {
      auto c = static_cast<unsigned char>(t_[i_]);
      if (c == '"') {
        out = std::string_view(t_).substr(start, i_ - start);
        ++i_;
        return true;
      }
      if (c < 0x20 || c == '\\') return false;
      if (c < 0x80) {
        ++i_;
        continue;
      }
      std::size_t n = JsonWriter::utf8_length(t_, i_);
      if (n == 0) return false;
      i_ += n;
    }
    return false;
  }
  // -?(0|[1-9][0-9]*)(.[0-9]+)?, at most 15 characters and not -0: a number
  // every reader reads the same (no exponent, no rounding to 0 or infinity).
  bool number(double& out, bool& integral) {
    std::size_t start = i_;
    eat('-');
    if (i_ >= t_.size() || t_[i_] < '0' || t_[i_] > '9') return false;
    if (t_[i_] == '0') {
      if (i_ > start) return false;  // -0, -0.5: left to the full reader
      ++i_;
    } else {
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
    }
    integral = true;
    if (eat('.')) {
      integral = false;
      std::size_t digits = i_;
      while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
      if (i_ == digits) return false;
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) return false;
    if (i_ - start > 15) return false;
    auto r = std::from_chars(t_.data() + start, t_.data() + i_, out);
    return r.ec == std::errc() && r.ptr == t_.data() + i_;
  }
  bool in_range(const FieldDef& f, double x) const {
    return !((f.min && x < *f.min) || (f.max && x > *f.max));
  }
  bool value(TypeId type, const FieldDef& f, Value& out, bool top) {
    const TypeDesc& d = kb_.types.at(type);
    switch (d.kind) {
      case TypeKind::Integer:
      case TypeKind::Number: {
        double x = 0;
        bool integral = true;
        if (!number(x, integral)) return false;
        if (d.kind == TypeKind::Integer && !integral && std::floor(x) != x) return false;
        if (!in_range(f, x)) return false;
        out = Value::number(x);
        return true;
      }
      case TypeKind::Boolean:
        if (word("true")) {
          out = Value::boolean(true);
          return true;
        }
        if (word("false")) {
          out = Value::boolean(false);
          return true;
        }
        return false;
      case TypeKind::String: {
        std::string_view v;
        if (!text(v)) return false;
        out = Value::string(std::string(v));
        return true;
      }
      case TypeKind::Enum: {
        std::string_view v;
        if (!text(v)) return false;
        const EnumDef& e = kb_.enums.at(static_cast<std::size_t>(d.enum_id));
        int idx = e.find(v);
        if (idx < 0) return false;
        out = Value::symbol(d.enum_id, idx);
        return true;
      }
      case TypeKind::List: {
        if (!top || !eat('[')) return false;
        ValueList items;
        blanks();
        if (!eat(']')) {
          while (true) {
            if (items.size() == kMaxProfileListItems) return false;
            Value v;
            if (!value(d.elem, f, v, false)) return false;
            items.push_back(std::move(v));
            blanks();
            if (eat(']')) break;
            if (!eat(',')) return false;
            blanks();
          }
        }
        out = Value::list(std::move(items));
        return true;
      }
      default: return false;  // ranges, maps: the full reader
    }
  }
  // An `x_` field's value when it is a text, true or false (what nlohmann
  // makes of it); anything else is left to the full reader.
  bool carried_scalar(ordered_json& out) {
    if (t_.compare(i_, 1, "\"") == 0) {
      std::string_view v;
      if (!text(v)) return false;
      out = std::string(v);
      return true;
    }
    if (word("true")) {
      out = true;
      return true;
    }
    if (word("false")) {
      out = false;
      return true;
    }
    return false;
  }

  const std::string& t_;
  const KnowledgeBase& kb_;
  const std::string& source_;
  std::size_t i_ = 0;
};
}  // namespace

std::string Profile::name() const {
  if (!kb) return "";
  int idx = kb->field_index("name");
  if (idx < 0) return "";
  const Value& v = values[static_cast<std::size_t>(idx)];
  return v.kind == Value::Kind::Text ? *v.text : "";
}

std::string profile_path(const std::string& key) {
  if (plain_name(key)) return "$." + key;
  std::string q = ordered_json(key).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return "$[" + cut(q, 64) + (q.size() > 64 ? "\"" : "") + "]";
}

std::optional<ordered_json> parse_profile_json(const std::string& text, const std::string& source,
                                               std::vector<DataError>& errors) {
  std::vector<Pending> pending;
  bool duplicates = false;
  auto j = parse_pending(text, source, pending, duplicates);
  finish(pending, &text, errors);
  if (duplicates) return std::nullopt;
  return j;
}

std::optional<Profile> profile_from_json(const ordered_json& j, const std::string& source, const KnowledgeBase& kb,
                                         std::vector<DataError>& errors) {
  std::vector<Pending> pending;
  auto p = validate(j, source, kb, nullptr, pending);
  finish(pending, nullptr, errors);
  return p;
}

std::optional<Profile> profile_from_json(const nlohmann::json& j, const std::string& source, const KnowledgeBase& kb,
                                         std::vector<DataError>& errors) {
  return profile_from_json(ordered_json(j), source, kb, errors);
}

std::optional<Profile> load_profile(const std::string& text, const std::string& source, const KnowledgeBase& kb,
                                    std::vector<DataError>& errors) {
  if (text.size() > kMaxProfileBytes) {
    errors.push_back({source, "", 0, 0,
                      size_limit_message("the profile", text.size(), "a profile", kMaxProfileBytes),
                      {}, DataError::Kind::Limit});
    return std::nullopt;
  }
  // The usual profile in one pass; anything else (and every error) through
  // the full reader, which says what is wrong and where.
  if (auto p = FastReader(text, source, kb).read()) return p;
  std::vector<Pending> pending;
  bool duplicates = false;
  auto j = parse_pending(text, source, pending, duplicates);
  if (!j) {
    finish(pending, &text, errors);
    return std::nullopt;
  }
  // Validate without looking at the text; only when something is wrong, go
  // over it again to say where (the common case stays one pass).
  std::size_t parse_problems = pending.size();
  auto p = validate(*j, source, kb, nullptr, pending, &*j);
  if (p && !duplicates) return p;
  pending.resize(parse_problems);
  validate(*j, source, kb, &text, pending);
  finish(pending, &text, errors);
  return std::nullopt;
}

}  // namespace advise
