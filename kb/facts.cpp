#include "kb/facts.hpp"
#include "kb/value_json.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <nlohmann/json.hpp>

#include "kb/json_syntax.hpp"
#include "kb/limits.hpp"
#include "kb/parallel.hpp"
#include "kb/suggest.hpp"

namespace advise {

using nlohmann::ordered_json;

std::string FactOrigin::text() const {
  std::string out;
  out.reserve((file ? file->size() : 0) + where.size() + 26);
  if (file) out += *file;
  if (line) {
    char buf[24];
    out += ':';
    out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, line).ptr - buf));
    out += ':';
    out.append(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, column).ptr - buf));
  }
  if (!where.empty()) {
    out += " (";
    out += where;
    out += ')';
  }
  return out;
}

namespace {

constexpr std::size_t kNowhere = std::numeric_limits<std::size_t>::max();

// A problem and the byte offset it points at; offsets become line and column
// in one sweep at the end.
struct Pending {
  DataError error;
  std::size_t offset = kNowhere;
};

struct Problem {
  std::string message;
  std::optional<std::string> suggestion;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// A value as a message quotes it: control characters escaped, cut when long.
std::string shown(std::string_view s, std::size_t max = 40) {
  std::string d = ordered_json(std::string(s)).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return cut(d.substr(1, d.size() - 2), max);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string squash(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '_' && c != '-' && c != ' ') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Converts offsets to 1-based line and column (columns count UTF-8
// characters; a byte-order mark is not one), in one pass over the text.
class Placer {
 public:
  explicit Placer(const std::string& text) : t_(text), at_(text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0) {}
  // Offsets must not decrease between calls.
  std::pair<std::uint32_t, std::uint32_t> place(std::size_t offset) {
    std::size_t target = std::min(offset, t_.size());
    while (at_ < target) {
      const void* nl = std::memchr(t_.data() + at_, '\n', target - at_);
      if (!nl) break;
      at_ = static_cast<std::size_t>(static_cast<const char*>(nl) - t_.data()) + 1;
      ++line_;
      col_ = 1;
    }
    for (; at_ < target; ++at_)
      if ((static_cast<unsigned char>(t_[at_]) & 0xC0) != 0x80) ++col_;
    return {line_, col_};
  }

 private:
  const std::string& t_;
  std::size_t at_;
  std::uint32_t line_ = 1, col_ = 1;
};

// Document order; problems with no place first.
void finish(const std::string& text, std::vector<Pending>& pending, std::vector<DataError>& errors) {
  if (pending.empty()) return;
  std::stable_sort(pending.begin(), pending.end(), [](const Pending& a, const Pending& b) {
    std::size_t x = a.offset == kNowhere ? 0 : a.offset + 1, y = b.offset == kNowhere ? 0 : b.offset + 1;
    return x < y;
  });
  Placer placer(text);
  for (Pending& p : pending) {
    if (p.offset != kNowhere) std::tie(p.error.line, p.error.column) = placer.place(p.offset);
    errors.push_back(std::move(p.error));
  }
}

// Errors and warnings together, in document order.
void finish(const std::string& text, std::vector<Pending>& pending, std::vector<Pending>& warnings,
            std::vector<DataError>& errors) {
  pending.insert(pending.end(), std::make_move_iterator(warnings.begin()), std::make_move_iterator(warnings.end()));
  warnings.clear();
  finish(text, pending, errors);
}

// --- Values from text, by a field's type ---

// The texts a read makes, in one store their values share (aliasing
// shared_ptrs): no allocation of its own per text. The store lives as long as
// any of its texts.
class TextStore {
 public:
  std::shared_ptr<const std::string> add(std::string_view s) {
    if (!store_) store_ = std::make_shared<std::deque<std::string>>();
    store_->emplace_back(s);  // a deque's elements stay where they are
    return std::shared_ptr<const std::string>(store_, &store_->back());
  }

 private:
  std::shared_ptr<std::deque<std::string>> store_;
};

// The texts of one field, shared between the records that repeat them (a
// catalog's institutions, cities, dates): one string for all. A field whose
// texts seldom repeat (names, ids) stops being looked up after a while.
struct Texts {
  std::unordered_map<std::string_view, std::shared_ptr<const std::string>> seen;  // keys view the values
  std::uint32_t tries = 0, hits = 0;
  bool off = false;
  std::shared_ptr<const std::string> get(std::string_view s, TextStore& store) {
    if (off) return store.add(s);
    ++tries;
    auto it = seen.find(s);
    if (it != seen.end()) {
      ++hits;
      return it->second;
    }
    auto t = store.add(s);
    seen.emplace(std::string_view(*t), t);
    if (tries == 256 && hits < tries / 4) {  // mostly new texts: looking up costs more than it saves
      off = true;
      seen = {};
    }
    return t;
  }
};

// An enum's values by text. The values are a few dozen short words: open
// addressing on a hash of the text's length and three of its bytes, each
// probe confirmed by comparing the texts (cheaper than hashing every byte).
class EnumIndex {
 public:
  void build(const std::vector<std::string>& values) {
    values_ = &values;
    std::size_t size = 16;
    while (size < values.size() * 4) size *= 2;
    slots_.assign(size, -1);
    shift_ = 64;
    for (std::size_t n = size; n > 1; n /= 2) --shift_;
    for (std::size_t v = 0; v < values.size(); ++v) {
      if (find(values[v]) >= 0) continue;  // the first of equal values, as a map's emplace keeps
      std::size_t h = slot(values[v]);
      while (slots_[h] >= 0) h = (h + 1) & (slots_.size() - 1);
      slots_[h] = static_cast<std::int32_t>(v);
    }
  }
  // The value's index, -1 when it is none of them.
  std::int32_t find(std::string_view s) const {
    if (slots_.empty()) return -1;
    for (std::size_t h = slot(s);; h = (h + 1) & (slots_.size() - 1)) {
      std::int32_t v = slots_[h];
      if (v < 0) return -1;
      const std::string& t = (*values_)[static_cast<std::size_t>(v)];
      if (t.size() == s.size() && std::memcmp(t.data(), s.data(), s.size()) == 0) return v;
    }
  }

 private:
  std::size_t slot(std::string_view s) const {
    std::uint64_t n = s.size();
    std::uint64_t k = n;
    if (n) {
      k |= std::uint64_t{static_cast<unsigned char>(s[0])} << 16 |
           std::uint64_t{static_cast<unsigned char>(s[n / 2])} << 24 |
           std::uint64_t{static_cast<unsigned char>(s[n - 1])} << 32;
    }
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  const std::vector<std::string>* values_ = nullptr;
  std::vector<std::int32_t> slots_;  // value index, -1 empty
  int shift_ = 60;
};

// How a field's text is read, found once per template and read: its type's
// kind and its limits, without looking the type up per value.
struct FieldPlan {
  TypeKind kind = TypeKind::Any;
  TextFormat format = TextFormat::Any;
  bool accepts_none = false;
  bool has_min = false, has_max = false;
  std::int32_t enum_id = -1;
  double min = 0, max = 0;
};

// Per template: how each field is read and enum lookups by text, built once per read.
struct Prepared {
  std::vector<FieldPlan> plans;     // per field
  std::vector<EnumIndex> enums;     // per field; empty unless enum
  std::vector<std::string> given;   // names a record may give
  std::vector<Texts> texts;         // per field
};

class Converter {
 public:
  Converter(const KnowledgeBase& kb, const TemplateSet& templates) : kb_(kb), templates_(templates) {}

  Prepared& prepared(int tmpl) {
    if (tmpl == last_tmpl_) [[likely]]
      return *last_;  // a file's records are of one template
    return prepare(tmpl);
  }

  // The usual value, read without a problem to report (a CSV cell): true
  // when `out` holds what from_text would make of `s` (and `none` is set);
  // false when from_text is to read it (and say what is wrong).
  bool quick(int tmpl, std::size_t index, std::string_view s, Value& out, bool& none) {
    Prepared& p = prepared(tmpl);
    const FieldPlan& plan = p.plans[index];
    none = false;
    if (s.empty() || s.size() > kMaxFactValueBytes) return false;
    if (plan.accepts_none && s == "none") {
      none = true;
      return true;
    }
    switch (plan.kind) {
      case TypeKind::Integer:
      case TypeKind::Number: {
        if (s.size() > 15) return false;
        std::uint64_t n = 0;
        for (char c : s) {
          unsigned d = static_cast<unsigned>(static_cast<unsigned char>(c)) - '0';
          if (d > 9) return false;
          n = n * 10 + d;
        }
        double x = static_cast<double>(n);
        if ((plan.has_min && x < plan.min) || (plan.has_max && x > plan.max)) return false;
        put(out, Value::Kind::Number, false, -1, -1, x);
        return true;
      }
      case TypeKind::Boolean:
        if (s != "true" && s != "false") return false;
        put(out, Value::Kind::Bool, s == "true", -1, -1, 0);
        return true;
      case TypeKind::Enum: {
        std::int32_t v = p.enums[index].find(s);
        if (v < 0) return false;
        put(out, Value::Kind::Symbol, false, plan.enum_id, v, 0);
        return true;
      }
      case TypeKind::String:
        if (plan.format == TextFormat::Date ? check_date(s).has_value()
            : plan.format == TextFormat::Digits
                ? check_digits(templates_.templates[static_cast<std::size_t>(tmpl)].fields[index], s).has_value()
                : false)
          return false;
        put(out, Value::Kind::Text, false, -1, -1, 0);
        out.text = p.texts[index].get(s, store_);
        return true;
      default: return false;
    }
  }

  Prepared& prepare(int tmpl) {
    auto it = prepared_.find(tmpl);
    if (it != prepared_.end()) {
      last_tmpl_ = tmpl;
      last_ = &it->second;
      return it->second;
    }
    Prepared p;
    const TemplateDef& t = templates_.templates[static_cast<std::size_t>(tmpl)];
    p.plans.resize(t.fields.size());
    p.enums.resize(t.fields.size());
    p.texts.resize(t.fields.size());
    for (std::size_t i = 0; i < t.fields.size(); ++i) {
      const TemplateField& f = t.fields[i];
      const TypeDesc& d = kb_.types.at(f.def.type);
      FieldPlan& plan = p.plans[i];
      plan.kind = d.kind;
      plan.format = f.format;
      plan.accepts_none = f.accepts_none;
      plan.enum_id = d.enum_id;
      plan.has_min = f.def.min.has_value();
      plan.has_max = f.def.max.has_value();
      plan.min = f.def.min.value_or(0);
      plan.max = f.def.max.value_or(0);
      if (d.kind == TypeKind::Enum) p.enums[i].build(kb_.enums[static_cast<std::size_t>(d.enum_id)].values);
    }
    p.given = t.given_names();
    last_tmpl_ = tmpl;
    last_ = &prepared_.emplace(tmpl, std::move(p)).first->second;  // nodes do not move
    return *last_;
  }

  // What a value of the field is, for messages: "an integer from 1 to 300 or `none`".
  std::string expected(const TemplateField& f) const {
    const TypeDesc& d = kb_.types.at(f.def.type);
    std::string what;
    switch (d.kind) {
      case TypeKind::Integer: what = "an integer"; break;
      case TypeKind::Number: what = "a number"; break;
      case TypeKind::Boolean: what = "true or false"; break;
      case TypeKind::Enum: what = "one of the " + kb_.enums[static_cast<std::size_t>(d.enum_id)].name + " values"; break;
      default: what = "a text"; break;
    }
    if (f.accepts_none) what += " or `none`";
    return what;
  }

  std::string range_text(const TemplateField& f) const {
    const FieldDef& r = f.def;
    std::string lim = r.min && r.max ? "from " + format_number(*r.min) + " to " + format_number(*r.max)
                      : r.min        ? "at least " + format_number(*r.min)
                                     : "at most " + format_number(*r.max);
    return lim + (f.accepts_none ? " or `none`" : "");
  }

  std::optional<Problem> check_range(const TemplateField& f, double x) const {
    if ((f.def.min && x < *f.def.min) || (f.def.max && x > *f.def.max))
      return Problem{"expected " + range_text(f) + ", found " + format_number(x), {}};
    return std::nullopt;
  }

  std::optional<Problem> unknown_enum(int tmpl, std::size_t index, const TemplateField& f, std::string_view s) {
    const TypeDesc& d = kb_.types.at(f.def.type);
    const EnumDef& e = kb_.enums[static_cast<std::size_t>(d.enum_id)];
    std::string allowed;
    if (e.values.size() <= 8) {
      allowed = " (one of";
      for (const auto& v : e.values) allowed += " " + v;
      allowed += ")";
    }
    // Another case, spaces or hyphens: `Case by case`, `HIGH`.
    std::string norm;
    for (unsigned char c : s) norm += (c == ' ' || c == '-') ? '_' : static_cast<char>(std::tolower(c));
    std::optional<std::string> hint;
    if (prepared(tmpl).enums[index].find(norm) >= 0) hint = norm;
    if (!hint) hint = did_you_mean(std::string(s), e.values);
    if (!hint) hint = did_you_mean(norm, e.values);
    return Problem{"unknown " + e.name + " `" + shown(s) + "`" + allowed, hint};
  }

  // Reads `s` as a value of field `index` of template `tmpl`. `none` is set
  // when the text is the word `none` (the value stays missing).
  std::optional<Problem> from_text(int tmpl, std::size_t index, std::string_view s, Value& out, bool& none) {
    const TemplateDef& t = templates_.templates[static_cast<std::size_t>(tmpl)];
    const TemplateField& f = t.fields[index];
    none = false;
    if (s.empty())
      return Problem{"the value is empty; leave `" + f.def.name + "` out when it is not known", {}};
    if (s.size() > kMaxFactValueBytes)
      return Problem{size_limit_message("the value", s.size(), "a value", kMaxFactValueBytes), {}};
    auto p = convert(tmpl, index, f, s, out, none);
    if (p && !p->suggestion) {
      // Spaces around a value: say which value was meant.
      std::string_view tr = trim(s);
      Value v;
      bool n = false;
      if (tr.size() != s.size() && !tr.empty() && !convert(tmpl, index, f, tr, v, n)) {
        p->message += " (with spaces around it)";
        p->suggestion = std::string(tr);
      }
    }
    return p;
  }

  // A JSON scalar (not a string) as a value of the field.
  std::optional<Problem> from_json_scalar(const TemplateField& f, const ordered_json& j, Value& out) {
    const TypeDesc& d = kb_.types.at(f.def.type);
    auto kind = [&]() -> std::string {
      if (j.is_boolean()) return std::string("a boolean ") + (j.get<bool>() ? "true" : "false");
      if (j.is_number()) return "a number " + j.dump();
      return "null";
    };
    switch (d.kind) {
      case TypeKind::Integer:
      case TypeKind::Number: {
        if (!j.is_number()) {
          std::optional<std::string> hint;
          if (j.is_boolean() && f.accepts_none && !j.get<bool>()) hint = "none";
          return Problem{"expected " + expected(f) + ", found " + kind(), hint};
        }
        double x = j.get<double>();
        if (d.kind == TypeKind::Integer && (!std::isfinite(x) || std::floor(x) != x))
          return Problem{"expected a whole number, found " + j.dump(), {}};
        if (auto p = check_range(f, x)) return p;
        out = Value::number(x);
        return std::nullopt;
      }
      case TypeKind::Boolean:
        if (!j.is_boolean()) {
          std::optional<std::string> hint;
          if (j.is_number() && (j == 0 || j == 1)) hint = j == 1 ? "true" : "false";
          return Problem{"expected true or false, found " + kind(), hint};
        }
        out = Value::boolean(j.get<bool>());
        return std::nullopt;
      default: {
        std::optional<std::string> hint;
        if (j.is_number() && d.kind == TypeKind::String) {
          std::string n = j.dump();
          // An id that lost its leading zero on the way through a spreadsheet.
          if (f.format == TextFormat::Digits && j.is_number_unsigned() &&
              n.size() + 1 == static_cast<std::size_t>(f.digits))
            n = "0" + n;
          hint = "\"" + n + "\"";
        }
        std::string extra = d.kind == TypeKind::String && f.format == TextFormat::Digits
                                ? " (an id with leading zeros is a string)"
                                : "";
        return Problem{"expected " + expected(f) + " in double quotes, found " + kind() + extra, hint};
      }
    }
  }

  // A JSON string: a text, an enum value, a date, `none`; never a number or a boolean.
  std::optional<Problem> from_json_string(int tmpl, std::size_t index, const std::string& s, Value& out, bool& none) {
    const TemplateField& f = templates_.templates[static_cast<std::size_t>(tmpl)].fields[index];
    const TypeDesc& d = kb_.types.at(f.def.type);
    none = false;
    if (d.kind == TypeKind::Integer || d.kind == TypeKind::Number || d.kind == TypeKind::Boolean) {
      if (f.accepts_none && s == "none") {
        none = true;
        return std::nullopt;
      }
      Value v;
      bool n = false;
      std::optional<std::string> hint;
      if (!convert(tmpl, index, f, s, v, n)) hint = n ? "\"none\"" : s;
      return Problem{"expected " + expected(f) + ", found a string \"" + shown(s) + "\"", hint};
    }
    return from_text(tmpl, index, s, out, none);
  }

 private:
  // `out` as Value::boolean, number or symbol would make it (a text then
  // sets `text`), without making a Value and moving it.
  static void put(Value& out, Value::Kind kind, bool flag, std::int32_t enum_id, std::int32_t sym, double num) {
    out.kind = kind;
    out.flag = flag;
    out.enum_id = enum_id;
    out.sym = sym;
    out.num = num;
    out.hi = 0;
    if (out.text) out.text.reset();
    if (out.items) out.items.reset();
  }

  std::optional<Problem> convert(int tmpl, std::size_t index, const TemplateField& f, std::string_view s, Value& out,
                                 bool& none) {
    Prepared& p = prepared(tmpl);
    const FieldPlan& plan = p.plans[index];
    if (plan.accepts_none && s == "none") {
      none = true;
      return std::nullopt;
    }
    switch (plan.kind) {
      case TypeKind::Integer:
      case TypeKind::Number: {
        double x = 0;
        bool ok = false;
        if (!s.empty() && s.size() <= 15) {  // the usual cell: digits only, exact as a double
          std::uint64_t n = 0;
          ok = true;
          for (char c : s) {
            unsigned d = static_cast<unsigned>(static_cast<unsigned char>(c)) - '0';
            if (d > 9) {
              ok = false;
              break;
            }
            n = n * 10 + d;
          }
          x = static_cast<double>(n);
        }
        if (!ok && plan.kind == TypeKind::Integer) {
          long long n = 0;
          const char* b = s.data();
          const char* e = s.data() + s.size();
          if (!s.empty() && s[0] == '+') ++b;
          auto r = std::from_chars(b, e, n);
          ok = b != e && r.ec == std::errc() && r.ptr == e;
          x = static_cast<double>(n);
        } else if (!ok) {
          auto r = std::from_chars(s.data(), s.data() + s.size(), x);
          ok = !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(x);
        }
        if (!ok) return not_a_number(f, plan.kind == TypeKind::Integer, s);
        if (auto pr = check_range(f, x)) return pr;
        put(out, Value::Kind::Number, false, -1, -1, x);
        return std::nullopt;
      }
      case TypeKind::Boolean: {
        if (s == "true" || s == "false") {  // as written nearly always: no lowered copy
          put(out, Value::Kind::Bool, s == "true", -1, -1, 0);
          return std::nullopt;
        }
        std::string l = lower(s);
        if (l == "true" || l == "false") {
          put(out, Value::Kind::Bool, l == "true", -1, -1, 0);
          return std::nullopt;
        }
        std::optional<std::string> hint;
        if (l == "yes" || l == "y" || l == "1") hint = "true";
        if (l == "no" || l == "n" || l == "0") hint = "false";
        return Problem{"expected true or false, found `" + shown(s) + "`", hint};
      }
      case TypeKind::Enum: {
        std::int32_t v = p.enums[index].find(s);
        if (v < 0) return unknown_enum(tmpl, index, f, s);
        put(out, Value::Kind::Symbol, false, plan.enum_id, v, 0);
        return std::nullopt;
      }
      case TypeKind::String:
        if (plan.format == TextFormat::Date) {
          if (auto pr = check_date(s)) return pr;
        } else if (plan.format == TextFormat::Digits) {
          if (auto pr = check_digits(f, s)) return pr;
        }
        put(out, Value::Kind::Text, false, -1, -1, 0);
        out.text = p.texts[index].get(s, store_);
        return std::nullopt;
      default: return Problem{"internal: the field `" + f.def.name + "` has a type facts cannot hold", {}};
    }
  }

  std::optional<Problem> not_a_number(const TemplateField& f, bool integer, std::string_view s) {
    std::optional<std::string> hint;
    std::string l = lower(s);
    if (f.accepts_none && (l == "none" || l == "no limit" || l == "no minimum")) hint = "none";
    double x = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), x);
    bool number = !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(x);
    if (integer && number && std::floor(x) == x && std::fabs(x) < 1e15) hint = format_number(x);
    if (integer && number && std::floor(x) != x)
      return Problem{"expected a whole number" + std::string(f.accepts_none ? " or `none`" : "") + ", found `" +
                         shown(s) + "`",
                     {}};
    if (!hint && s.find(',') != std::string_view::npos) {
      // `1,200`: a thousands separator.
      std::string digits;
      for (char c : s)
        if (c != ',') digits += c;
      double y = 0;
      auto r2 = std::from_chars(digits.data(), digits.data() + digits.size(), y);
      if (!digits.empty() && r2.ec == std::errc() && r2.ptr == digits.data() + digits.size()) hint = digits;
    }
    return Problem{"expected " + expected(f) + ", found `" + shown(s) + "`", hint};
  }

  static std::optional<Problem> check_date(std::string_view s) {
    auto digit = [&](std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
    auto num = [&](std::size_t from, std::size_t n) {
      int v = 0;
      for (std::size_t i = from; i < from + n; ++i) v = v * 10 + (s[i] - '0');
      return v;
    };
    bool shape = s.size() == 10 && s[4] == '-' && s[7] == '-';
    for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u}) shape = shape && digit(i);
    if (shape) {
      int y = num(0, 4), m = num(5, 2), d = num(8, 2);
      static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
      if (m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
      return Problem{"`" + shown(s) + "` is not a date of the calendar (YYYY-MM-DD)", {}};
    }
    // A spreadsheet's rewrite: 7/3/2025 (month/day/year).
    std::optional<std::string> hint;
    std::size_t a = s.find('/'), b = a == std::string_view::npos ? a : s.find('/', a + 1);
    if (b != std::string_view::npos && a >= 1 && a <= 2 && b - a - 1 >= 1 && b - a - 1 <= 2 && s.size() - b - 1 == 4) {
      bool all = true;
      for (std::size_t i = 0; i < s.size(); ++i) all = all && (i == a || i == b || digit(i));
      if (all) {
        std::string m(s.substr(0, a)), d(s.substr(a + 1, b - a - 1));
        hint = std::string(s.substr(b + 1)) + "-" + (m.size() == 1 ? "0" : "") + m + "-" + (d.size() == 1 ? "0" : "") + d;
      }
    }
    return Problem{"expected a date written YYYY-MM-DD, found `" + shown(s) + "`" +
                       (hint ? " (a spreadsheet rewrites dates unless the column is formatted as text)" : ""),
                   hint};
  }

  static std::optional<Problem> check_digits(const TemplateField& f, std::string_view s) {
    bool all = !s.empty();
    for (char c : s) all = all && c >= '0' && c <= '9';
    if (all && s.size() == static_cast<std::size_t>(f.digits)) return std::nullopt;
    std::optional<std::string> hint;
    std::string why;
    if (all && s.size() + 1 == static_cast<std::size_t>(f.digits)) {
      hint = "0" + std::string(s);
      why = " (a spreadsheet drops a leading zero unless the column is formatted as text)";
    }
    return Problem{"expected " + std::to_string(f.digits) + " digits, found `" + shown(s) + "`" +
                       (all ? " (" + std::to_string(s.size()) + (s.size() == 1 ? " digit)" : " digits)") : "") + why,
                   hint};
  }

  const KnowledgeBase& kb_;
  const TemplateSet& templates_;
  std::unordered_map<int, Prepared> prepared_;
  int last_tmpl_ = -1;
  Prepared* last_ = nullptr;
  TextStore store_;
};

// A suggestion for a field name: another spelling of a field (`Program ID`,
// `step2_ck_min`) or of its display name, else the closest name.
std::optional<std::string> field_hint(const TemplateDef& t, const std::string& key) {
  std::string s = squash(key);
  for (const TemplateField& f : t.fields) {
    if (f.derived_only()) continue;
    if (squash(f.def.name) == s || squash(f.display) == s) return f.def.name;
  }
  return did_you_mean(key, t.given_names());
}

// --- The parts every reader shares ---

class RecordBuilder {
 public:
  RecordBuilder(const KnowledgeBase& kb, const TemplateSet& templates, std::shared_ptr<const std::string> file,
                std::vector<Pending>& pending)
      : kb_(kb), templates_(templates), file_(std::move(file)), pending_(pending), conv_(kb, templates) {}

  Converter& converter() { return conv_; }
  const TemplateDef& tdef(int tmpl) const { return templates_.templates[static_cast<std::size_t>(tmpl)]; }

  bool full() const { return problems_ >= kMaxFactProblems; }
  void problem(std::size_t offset, std::string where, std::string message,
               std::optional<std::string> suggestion = std::nullopt) {
    if (problems_ == kMaxFactProblems) return;
    if (++problems_ == kMaxFactProblems) {
      pending_.push_back({{*file_, "", 0, 0,
                           "stopped after " + std::to_string(kMaxFactProblems) +
                               " problems; correct these and read the file again",
                           {}},
                          kNowhere});
      return;
    }
    pending_.push_back({{*file_, std::move(where), 0, 0, std::move(message), std::move(suggestion)}, offset});
  }

  // A warning: the record is read all the same.
  void warn(std::size_t offset, std::string where, std::string message,
            std::optional<std::string> suggestion = std::nullopt) {
    if (warnings_.size() > kMaxFactProblems) return;
    DataError e{*file_, std::move(where), 0, 0, std::move(message), std::move(suggestion)};
    if (warnings_.size() == kMaxFactProblems) {
      e = {*file_, "", 0, 0, "more than " + std::to_string(kMaxFactProblems) + " warnings; the rest are not shown", {}};
      offset = kNowhere;
    }
    e.warning = true;
    warnings_.push_back({std::move(e), offset});
  }
  std::vector<Pending>& warnings() { return warnings_; }

  // Starts a record; fields not given stay missing until complete().
  FactRecord& start(int tmpl, std::size_t offset, std::string where) {
    FactRecord& r = records_.emplace_back();
    r.tmpl = tmpl;
    r.values.resize(tdef(tmpl).fields.size());
    r.origin.file = file_;
    r.origin.where = std::move(where);
    offsets_.push_back(offset);
    given_.assign(tdef(tmpl).fields.size(), 0);
    value_at_.assign(tdef(tmpl).fields.size(), kNowhere);
    failed_.assign(tdef(tmpl).fields.size(), 0);
    return records_.back();
  }
  FactRecord& current() { return records_.back(); }

  // Sets field `index` of the current record from a value the reader converted.
  void set(std::size_t index, Value v, bool none, std::size_t offset) {
    FactRecord& r = records_.back();
    const TemplateField& f = tdef(r.tmpl).fields[index];
    given_[index] = 1;
    value_at_[index] = offset;
    r.values[index] = std::move(v);
    if (f.none_flag >= 0) r.values[static_cast<std::size_t>(f.none_flag)] = Value::boolean(none);
  }
  // Where the reader converts field `index` of the current record straight
  // into; then placed() (a conversion that fails leaves it missing).
  Value& slot(std::size_t index) { return records_.back().values[index]; }
  void placed(std::size_t index, bool none, std::size_t offset) {
    FactRecord& r = records_.back();
    const TemplateField& f = tdef(r.tmpl).fields[index];
    given_[index] = 1;
    value_at_[index] = offset;
    if (f.none_flag >= 0) r.values[static_cast<std::size_t>(f.none_flag)] = Value::boolean(none);
  }
  // A field given as unknown (an empty CSV cell).
  void set_unknown(std::size_t index, std::size_t offset) {
    given_[index] = 1;
    value_at_[index] = offset;
  }
  // A field whose value was wrong (already reported).
  void set_failed(std::size_t index, std::size_t offset) {
    set_unknown(index, offset);
    failed_[index] = 1;
  }
  bool given(std::size_t index) const { return given_[index]; }

  // Defaults, required fields, derived fields. `where_of(field)` says where
  // a field is for messages; `missing_at` is where to point at a field not given.
  template <class Where>
  void complete(std::size_t missing_at, Where where_of, bool required_checked = false) {
    FactRecord& r = records_.back();
    const TemplateDef& t = tdef(r.tmpl);
    const Shape& shape = shape_of(r.tmpl);
    for (std::size_t i : shape.kept) {
      const TemplateField& f = t.fields[i];
      if (!given_[i]) {
        if (f.default_value) r.values[i] = *f.default_value;
        if (f.required && !required_checked)
          problem(missing_at, where_of(kNowhere), "the record has no `" + f.def.name + "`; `" + f.def.name +
                                                      "` is required in every `" + t.name + "` record");
        continue;
      }
      if (!failed_[i] && r.values[i].is_missing() && (f.none_flag < 0 || r.values[static_cast<std::size_t>(f.none_flag)].is_missing())) {
        if (f.required)
          problem(value_at_[i], where_of(i), "`" + f.def.name + "` is required; the value is empty");
        else if (f.default_value)
          problem(value_at_[i], where_of(i),
                  "`" + f.def.name + "` may not be empty (it has a default): give a value, or leave `" + f.def.name +
                      "` out of the file (every record is then " + kb_.source_text(*f.default_value) + ")");
      }
    }
    for (std::size_t i : shape.derived) {
      const TemplateField& f = t.fields[i];
      const Value& src = r.values[static_cast<std::size_t>(f.derive_from)];
      if (src.kind != Value::Kind::Symbol) continue;  // unknown source: keep what was given
      std::int32_t d = f.derive_map[static_cast<std::size_t>(src.sym)];
      const TemplateField& sf = t.fields[static_cast<std::size_t>(f.derive_from)];
      Value derived = d < 0 ? Value::missing() : Value::symbol(kb_.types.at(f.def.type).enum_id, d);
      const Value& given_value = r.values[i];
      if (!given_value.is_missing() && given_value != derived) {
        std::string src_text = kb_.display(src);
        if (derived.is_missing())
          problem(value_at_[i], where_of(i),
                  "`" + f.def.name + "` is derived from `" + sf.def.name + "`, and " + sf.def.name + " `" + src_text +
                      "` has none (" + f.derive_table + "); leave `" + f.def.name + "` empty");
        else
          problem(value_at_[i], where_of(i),
                  "`" + f.def.name + "` `" + kb_.display(given_value) + "` disagrees with " + sf.def.name + " `" +
                      src_text + "`, which is in `" + kb_.display(derived) + "` (" + f.derive_table + ")",
                  kb_.display(derived));
        continue;
      }
      r.values[i] = derived;
    }
    check(missing_at, where_of);
  }

  // The template's rules across fields (TemplateCheck), on the current record.
  template <class Where>
  void check(std::size_t missing_at, Where where_of) {
    const FactRecord& r = records_.back();
    const TemplateDef& t = tdef(r.tmpl);
    auto known = [&](std::int32_t f) { return !r.values[static_cast<std::size_t>(f)].is_missing(); };
    auto name = [&](std::int32_t f) -> const std::string& { return t.fields[static_cast<std::size_t>(f)].def.name; };
    auto shown_value = [&](std::int32_t f) {
      const Value& v = r.values[static_cast<std::size_t>(f)];
      return v.kind == Value::Kind::Text ? "`" + shown(*v.text) + "`" : v.kind == Value::Kind::Symbol ? "`" + kb_.display(v) + "`" : kb_.display(v);
    };
    auto at = [&](std::int32_t f) {
      auto i = static_cast<std::size_t>(f);
      return value_at_[i] == kNowhere ? missing_at : value_at_[i];
    };
    auto place = [&](std::int32_t f) { return where_of(value_at_[static_cast<std::size_t>(f)] == kNowhere ? kNowhere : static_cast<std::size_t>(f)); };
    for (const TemplateCheck& c : t.checks) {
      // A field whose value was wrong is reported already; a rule over it would only repeat that.
      bool failed = failed_[static_cast<std::size_t>(c.field)];
      for (std::int32_t o : c.others) failed = failed || failed_[static_cast<std::size_t>(o)];
      if (failed) continue;
      auto why = [&] { return c.why.empty() ? std::string() : " (" + c.why + ")"; };  // made only for a message
      auto report = [&](std::int32_t f, std::string message, std::optional<std::string> suggestion = std::nullopt) {
        if (c.warning)
          warn(at(f), place(f), std::move(message), std::move(suggestion));
        else
          problem(at(f), place(f), std::move(message), std::move(suggestion));
      };
      switch (c.kind) {
        case TemplateCheck::Kind::AtMost: {
          std::int32_t b = c.others[0];
          if (!known(c.field) || !known(b)) break;
          if (r.values[static_cast<std::size_t>(c.field)].num <= r.values[static_cast<std::size_t>(b)].num) break;
          report(c.field, "`" + name(c.field) + "` " + shown_value(c.field) + " is more than `" + name(b) + "` " +
                              shown_value(b) + why() + "; correct one of the two");
          break;
        }
        case TemplateCheck::Kind::Needs: {
          if (known(c.field)) break;
          for (std::int32_t w : c.others) {
            if (!known(w)) continue;
            const TemplateField& nf = t.fields[static_cast<std::size_t>(c.field)];
            bool none = nf.none_flag >= 0 && r.values[static_cast<std::size_t>(nf.none_flag)].kind == Value::Kind::Bool &&
                        r.values[static_cast<std::size_t>(nf.none_flag)].flag;
            report(w, "`" + name(w) + "` " + shown_value(w) + " is given, but `" + name(c.field) + "` is " +
                          (none ? "`none`" : "unknown") + why() + "; give `" + name(c.field) + "`" +
                          (none ? " as a number" : "") + ", or leave `" + name(w) + "` unknown");
            break;
          }
          break;
        }
        case TemplateCheck::Kind::Allowed: {
          std::int32_t by = c.others[0];
          if (!known(c.field) || !known(by)) break;
          const auto& ok = c.allowed[static_cast<std::size_t>(r.values[static_cast<std::size_t>(by)].sym)];
          std::int32_t sym = r.values[static_cast<std::size_t>(c.field)].sym;
          if (ok.empty() || std::find(ok.begin(), ok.end(), sym) != ok.end()) break;
          const Value& fv = r.values[static_cast<std::size_t>(c.field)];
          std::string list;
          for (std::size_t i = 0; i < ok.size(); ++i)
            list += std::string(i == 0 ? "" : i + 1 == ok.size() ? " or " : ", ") + "`" +
                    kb_.display(Value::symbol(fv.enum_id, ok[i])) + "`";
          report(c.field, "`" + name(c.field) + "` " + shown_value(c.field) + " does not go with `" + name(by) + "` " +
                              shown_value(by) + ", which takes " + list + why(),
                 ok.size() == 1 ? std::optional<std::string>(kb_.display(Value::symbol(fv.enum_id, ok[0]))) : std::nullopt);
          break;
        }
        case TemplateCheck::Kind::Code: {
          std::int32_t of = c.others[0];
          if (!known(c.field) || !known(of)) break;
          const std::string& id = *r.values[static_cast<std::size_t>(c.field)].text;
          const std::string& want = c.codes[static_cast<std::size_t>(r.values[static_cast<std::size_t>(of)].sym)];
          if (want.empty() || id.size() < c.digit_from + c.digit_count) break;
          std::string_view got = std::string_view(id).substr(c.digit_from, c.digit_count);
          if (got == want) break;
          const Value& ov = r.values[static_cast<std::size_t>(of)];
          std::string owners;
          for (std::size_t s = 0; s < c.codes.size(); ++s)
            if (c.codes[s] == got)
              owners += (owners.empty() ? "`" : " or `") + kb_.display(Value::symbol(ov.enum_id, static_cast<std::int32_t>(s))) + "`";
          std::string digits = std::to_string(c.digit_from + 1) + (c.digit_count > 1 ? "-" + std::to_string(c.digit_from + c.digit_count) : "");
          report(c.field, "digits " + digits + " of `" + name(c.field) + "` `" + shown(id) + "` are `" + std::string(got) + "`, " +
                              (owners.empty() ? "the code of no " + name(of) : "the code of " + owners) + " in " + c.table +
                              ", but `" + name(of) + "` is " + shown_value(of) + ", whose code is `" + want +
                              "`; check the id and the " + name(of));
          break;
        }
      }
    }
  }

  // Every key unique among `existing` and the new records; then appends them.
  template <class Where>
  bool commit(const std::string& text, std::vector<FactRecord>& out, Where key_where) {
    // Records by index among existing + new, hashed and compared by their
    // template and the kind and contents of each key value.
    auto at = [&](std::size_t i) -> const FactRecord& { return i < out.size() ? out[i] : records_[i - out.size()]; };
    auto number = [](double x) {
      double d = x == 0 ? 0.0 : x;  // -0 is 0
      std::uint64_t b;
      std::memcpy(&b, &d, sizeof b);
      return b;
    };
    auto hash = [&](std::size_t i) {
      const FactRecord& r = at(i);
      std::size_t h = std::hash<int>{}(r.tmpl);
      for (std::int32_t f : tdef(r.tmpl).key) {
        const Value& v = r.values[static_cast<std::size_t>(f)];
        std::size_t x = static_cast<std::size_t>(v.kind);
        if (v.kind == Value::Kind::Text)
          x ^= std::hash<std::string_view>{}(*v.text);
        else if (v.kind == Value::Kind::Number)
          x ^= std::hash<std::uint64_t>{}(number(v.num));
        else if (v.kind == Value::Kind::Symbol)
          x ^= std::hash<std::int32_t>{}(v.sym);
        else if (v.kind == Value::Kind::Bool)
          x ^= v.flag ? 2 : 1;
        h = h * 1000003 ^ x;
      }
      return h;
    };
    auto same = [&](std::size_t i, std::size_t j) {
      const FactRecord& a = at(i);
      const FactRecord& b = at(j);
      if (a.tmpl != b.tmpl) return false;
      for (std::int32_t f : tdef(a.tmpl).key) {
        const Value& x = a.values[static_cast<std::size_t>(f)];
        const Value& y = b.values[static_cast<std::size_t>(f)];
        if (x.kind != y.kind) return false;
        if (x.kind == Value::Kind::Text && *x.text != *y.text) return false;
        if (x.kind == Value::Kind::Number && number(x.num) != number(y.num)) return false;
        if (x.kind == Value::Kind::Symbol && x.sym != y.sym) return false;
        if (x.kind == Value::Kind::Bool && x.flag != y.flag) return false;
      }
      return true;
    };
    std::unordered_set<std::size_t, decltype(hash), decltype(same)> seen(records_.size(), hash, same);
    // Origins: line and column of each record, in one sweep.
    Placer placer(text);
    for (std::size_t i = 0; i < records_.size(); ++i)
      std::tie(records_[i].origin.line, records_[i].origin.column) = placer.place(offsets_[i]);
    // Keys hold their template: only the records already read of the new records' templates can clash.
    std::vector<int> new_tmpls;
    for (const FactRecord& r : records_)
      if (std::find(new_tmpls.begin(), new_tmpls.end(), r.tmpl) == new_tmpls.end()) new_tmpls.push_back(r.tmpl);
    for (std::size_t i = 0; i < out.size(); ++i) {
      bool clash = std::find(new_tmpls.begin(), new_tmpls.end(), out[i].tmpl) != new_tmpls.end();
      if (clash && !tdef(out[i].tmpl).key.empty()) seen.insert(i);
    }
    for (std::size_t i = 0; i < records_.size(); ++i) {
      const FactRecord& r = records_[i];
      const TemplateDef& t = tdef(r.tmpl);
      if (t.key.empty()) continue;
      auto [it, fresh] = seen.insert(out.size() + i);
      if (fresh) continue;
      const FactRecord& first = at(*it);
      std::string names;
      for (std::size_t k = 0; k < t.key.size(); ++k)
        names += (k ? " + " : "") + t.fields[static_cast<std::size_t>(t.key[k])].def.name;
      problem(offsets_[i], key_where(r),
              "a record with " + fact_key_text(kb_, templates_, r) + " is already at " + first.origin.text() +
                  "; the key " + names + " must be unique");
    }
    if (!pending_.empty()) return false;
    if (out.size() + records_.size() > kMaxFactRecords) {
      problem(kNowhere, "", "the facts hold more than " + std::to_string(kMaxFactRecords) + " records");
      return false;
    }
    out.insert(out.end(), std::make_move_iterator(records_.begin()), std::make_move_iterator(records_.end()));
    return true;
  }

  std::size_t count() const { return records_.size(); }
  // Takes the records another builder read from a later part of the same
  // file, after this one's; `where_of(i)` names the place of its record i.
  template <class WhereOf>
  void append(RecordBuilder&& o, WhereOf where_of) {
    for (std::size_t i = 0; i < o.records_.size(); ++i) {
      o.records_[i].origin.where = where_of(i);
      records_.push_back(std::move(o.records_[i]));
      offsets_.push_back(o.offsets_[i]);
    }
  }
  void reserve(std::size_t n) {
    records_.reserve(n);
    offsets_.reserve(n);
  }

 private:
  // The fields complete() looks at, per template: those a record must give
  // or that have a default (nothing is checked of the others), and the
  // derived ones.
  struct Shape {
    std::vector<std::size_t> kept, derived;
  };
  const Shape& shape_of(int tmpl) {
    auto k = static_cast<std::size_t>(tmpl);
    if (shapes_.size() <= k) shapes_.resize(k + 1);
    if (!shapes_[k]) {
      const TemplateDef& t = tdef(tmpl);
      Shape& shape = shapes_[k].emplace();
      for (std::size_t i = 0; i < t.fields.size(); ++i) {
        const TemplateField& f = t.fields[i];
        if (!f.derived_only() && (f.required || f.default_value)) shape.kept.push_back(i);
        if (f.derive_from >= 0) shape.derived.push_back(i);
      }
    }
    return *shapes_[k];
  }

  const KnowledgeBase& kb_;
  const TemplateSet& templates_;
  std::shared_ptr<const std::string> file_;
  std::vector<Pending>& pending_;
  Converter conv_;
  std::vector<std::optional<Shape>> shapes_;  // per template, made on its first record
  std::vector<FactRecord> records_;
  std::vector<std::size_t> offsets_;
  std::vector<char> given_, failed_;  // per field of the current record
  std::vector<std::size_t> value_at_;
  std::size_t problems_ = 0;
  std::vector<Pending> warnings_;
};

// Text that is not UTF-8: UTF-16, or binary with NUL bytes.
std::optional<Pending> not_text(const std::string& text, const std::string& file) {
  const std::string convert = "; save it as UTF-8, for example with `iconv -f UTF-16 -t UTF-8`";
  if (text.size() >= 2 && ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF')))
    return Pending{{file, "", 0, 0, "the file is UTF-16 (it starts with a UTF-16 byte-order mark)" + convert, {}}, 0};
  const void* nul = std::memchr(text.data(), 0, text.size());
  if (!nul) return std::nullopt;
  return Pending{{file, "", 0, 0, "found a NUL byte (0x00), so this is not text; facts files are UTF-8 text", {}},
                 static_cast<std::size_t>(static_cast<const char*>(nul) - text.data())};
}

std::size_t bom(const std::string& text) { return text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0; }

// ============================================================== CSV

// "row 14", made in place (a record's place; short enough to need no allocation).
std::string row_text(std::size_t row) {
  char buf[32] = "row ";
  return std::string(buf, std::to_chars(buf + 4, buf + sizeof buf, row).ptr);
}

std::string column_letters(std::size_t index) {  // 0 -> A, 26 -> AA
  std::string s;
  for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26) s.insert(s.begin(), static_cast<char>('A' + (n - 1) % 26));
  return s;
}

struct Cell {
  std::string_view text;
  std::size_t offset = 0;  // where the cell starts (its opening quote when quoted)
};

class CsvScanner {
  // The bytes that end an unquoted cell's text: `,`, a line end, or a `"` (an error there).
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> a{};
    a[static_cast<unsigned char>(',')] = a[static_cast<unsigned char>('\n')] = a[static_cast<unsigned char>('\r')] =
        a[static_cast<unsigned char>('"')] = true;
    return a;
  }();

 public:
  CsvScanner(const std::string& t, std::size_t start) : t_(t), i_(start) {}
  bool done() const { return i_ >= t_.size(); }
  std::size_t at() const { return i_; }

  // One physical row. A comment line (`#` first) gives `comment`; a row of
  // empty cells gives `blank`. Returns false on a syntax problem (`error`,
  // `error_at`).
  bool row(std::vector<Cell>& cells, bool& comment, bool& blank) {
    cells.clear();
    buffers_.clear();
    comment = blank = false;
    if (t_[i_] == '#') {
      comment = true;
      const void* nl = std::memchr(t_.data() + i_, '\n', t_.size() - i_);
      i_ = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - t_.data()) + 1 : t_.size();
      return true;
    }
    bool any = false;
    const char* d = t_.data();
    const std::size_t n = t_.size();
#if defined(__SSE2__)
    // The usual row, without quotes or a carriage return, 16 bytes at a
    // time: cut at its commas up to its line end. A quote or a carriage
    // return sends it to the general path below.
    {
      const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'), quote = _mm_set1_epi8('"'),
                    cr = _mm_set1_epi8('\r');
      std::size_t at = i_, start = i_, commas = 0;
      bool plain = true;
      auto cell_to = [&](std::size_t e) {
        cells.push_back({std::string_view(d + start, e - start), start});
        start = e + 1;
      };
      for (; at + 16 <= n; at += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + at));
        auto ends = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)));
        auto odd = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, cr))));
        auto commas_in = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)));
        if (ends) {  // only what lies before the line end
          unsigned before = (ends & (0u - ends)) - 1;
          odd &= before;
          commas_in &= before;
        }
        if (odd) {
          plain = false;
          break;
        }
        for (; commas_in; commas_in &= commas_in - 1, ++commas)
          cell_to(at + static_cast<std::size_t>(__builtin_ctz(commas_in)));
        if (ends) {
          std::size_t e = at + static_cast<std::size_t>(__builtin_ctz(ends));
          cell_to(e);
          blank = e - i_ == commas;  // nothing but commas
          i_ = e + 1;
          return true;
        }
      }
      for (; plain && at < n; ++at) {  // the last bytes, fewer than 16
        char c = d[at];
        if (c == '"' || c == '\r') {
          plain = false;
        } else if (c == ',') {
          cell_to(at);
          ++commas;
        } else if (c == '\n') {
          cell_to(at);
          blank = at - i_ == commas;
          i_ = at + 1;
          return true;
        }
      }
      if (plain) {  // the last row, without a line end
        cell_to(n);
        blank = n - i_ == commas;
        i_ = n;
        return true;
      }
      cells.clear();
    }
#else
    // The usual row, without quotes or a carriage return: cut at its commas.
    const void* nl = std::memchr(d + i_, '\n', n - i_);
    const std::size_t le = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - d) : n;
    if (!std::memchr(d + i_, '"', le - i_) && !std::memchr(d + i_, '\r', le - i_)) {
      while (true) {
        const void* comma = std::memchr(d + i_, ',', le - i_);
        std::size_t e = comma ? static_cast<std::size_t>(static_cast<const char*>(comma) - d) : le;
        cells.push_back({std::string_view(d + i_, e - i_), i_});
        any = any || e > i_;
        if (!comma) break;
        i_ = e + 1;
      }
      i_ = nl ? le + 1 : n;
      blank = !any;
      return true;
    }
#endif
    while (true) {
      std::size_t start = i_;
      if (i_ < t_.size() && t_[i_] == '"') {
        std::string buf;
        ++i_;
        std::size_t from = i_;
        bool closed = false;
        while (i_ < t_.size()) {
          const void* q = std::memchr(t_.data() + i_, '"', t_.size() - i_);
          if (!q) break;
          std::size_t qi = static_cast<std::size_t>(static_cast<const char*>(q) - t_.data());
          if (qi + 1 < t_.size() && t_[qi + 1] == '"') {
            buf.append(t_, from, qi + 1 - from);
            i_ = from = qi + 2;
            continue;
          }
          buf.append(t_, from, qi - from);
          i_ = qi + 1;
          closed = true;
          break;
        }
        if (!closed) {
          error_at = start;
          error = "a quoted cell is not closed; a `\"` inside a quoted cell is written `\"\"`";
          return false;
        }
        if (i_ < t_.size() && t_[i_] != ',' && t_[i_] != '\n' && t_[i_] != '\r') {
          error_at = i_;
          error = "after the closing `\"` of a quoted cell, expected `,` or the end of the row, found `" +
                  shown(std::string_view(t_).substr(i_, 1)) + "`; a `\"` inside a quoted cell is written `\"\"`";
          return false;
        }
        buffers_.push_back(std::move(buf));
        cells.push_back({{}, start});
        any = true;
      } else {
        std::size_t e = i_;
        while (e < n && !kSpecial[static_cast<unsigned char>(d[e])]) ++e;
        if (e < n && d[e] == '"') {
          error_at = e;
          error = "a `\"` inside a cell that does not start with `\"`; put the whole cell in double quotes and "
                  "write the `\"` inside as `\"\"`";
          return false;
        }
        cells.push_back({std::string_view(t_).substr(i_, e - i_), start});
        any = any || e > i_;
        i_ = e;
      }
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < t_.size() && t_[i_] == '\r') ++i_;
      if (i_ < t_.size() && t_[i_] == '\n') ++i_;
      break;
    }
    // Quoted cells' texts live in buffers_, now that it no longer grows.
    std::size_t b = 0;
    for (Cell& c : cells)
      if (c.offset < t_.size() && t_[c.offset] == '"') c.text = buffers_[b++];
    blank = !any;
    return true;
  }

  std::string error;
  std::size_t error_at = 0;

 private:
  const std::string& t_;
  std::size_t i_;
  std::vector<std::string> buffers_;
};

}  // namespace

namespace {

// A file this large is read in two halves at once when it can be
// (read_csv's `halves`).
constexpr std::size_t kCsvHalvesBytes = std::size_t{1} << 20;

// Where to cut the rows from `from` (a row's start) in two: just after the
// line end nearest past the middle, when the quotes before it are balanced
// (so it is not inside a quoted cell); nothing when there is no such place.
// The reader checks that its first half ends there.
std::optional<std::size_t> csv_split(const std::string& text, std::size_t from) {
  std::size_t mid = from + (text.size() - from) / 2;
  std::size_t quotes = 0;
  for (const char* p = text.data() + from, *end = text.data() + mid;;) {
    p = static_cast<const char*>(std::memchr(p, '"', static_cast<std::size_t>(end - p)));
    if (!p) break;
    ++quotes;
    ++p;
  }
  if (quotes % 2 != 0) return std::nullopt;
  const void* nl = std::memchr(text.data() + mid, '\n', text.size() - mid);
  if (!nl) return std::nullopt;
  std::size_t split = static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) + 1;
  if (split >= text.size()) return std::nullopt;
  return split;
}

bool read_csv(const std::string& text, const std::string& file, const KnowledgeBase& kb, const TemplateSet& templates,
              int tmpl, std::vector<FactRecord>& out, std::vector<DataError>& errors, bool halves) {
  std::vector<Pending> pending;
  auto file_ptr = std::make_shared<const std::string>(file);
  if (tmpl < 0 || static_cast<std::size_t>(tmpl) >= templates.templates.size()) {
    errors.push_back({file, "", 0, 0, "internal: no such template", {}});
    return false;
  }
  if (text.size() > kMaxFactsBytes) {
    errors.push_back({file, "", 0, 0,
                      size_limit_message("the file", text.size(), "a facts file", kMaxFactsBytes),
                      {}});
    return false;
  }
  if (auto p = not_text(text, file)) {
    pending.push_back(std::move(*p));
    finish(text, pending, errors);
    return false;
  }
  RecordBuilder rb(kb, templates, file_ptr, pending);
  // At most a record a line (the header and comments are lines too).
  std::size_t lines = 1;
  const char* end = text.data() + text.size();
  for (const char* p = text.data();; ++p, ++lines) {
    p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    if (!p) break;
  }
  rb.reserve(std::min<std::size_t>(lines, kMaxFactRecords + 1));
  const TemplateDef& t = templates.templates[static_cast<std::size_t>(tmpl)];
  CsvScanner scan(text, bom(text));
  std::vector<Cell> cells;
  std::size_t row = 0;
  // Column -> field (-1: ignored `x_` or nameless column).
  std::vector<int> column_field;
  std::vector<std::string> column_name;
  auto where_in = [&](std::size_t at_row, std::size_t column) {
    return "row " + std::to_string(at_row) + ", column " +
           (column < column_name.size() && !column_name[column].empty() ? column_name[column] + " (" : "(") +
           column_letters(column) + ")";
  };
  // A row of data into `b`, as row `at_row` at `row_at`: false to stop reading.
  auto data_row = [&](RecordBuilder& b, const std::vector<Cell>& row_cells, std::size_t at_row, std::size_t row_at) {
    if (row_cells.size() != column_field.size()) {
      std::size_t at = row_cells.size() > column_field.size() ? row_cells[column_field.size()].offset : row_at;
      b.problem(at, "row " + std::to_string(at_row),
                 "the row has " + std::to_string(row_cells.size()) + (row_cells.size() == 1 ? " cell" : " cells") +
                     "; the header has " + std::to_string(column_field.size()) + " columns" +
                     (row_cells.size() > column_field.size() ? " (a cell with a comma in it needs double quotes)" : ""));
      return true;
    }
    if (b.count() >= kMaxFactRecords) {
      b.problem(row_at, "row " + std::to_string(at_row),
                 "the file has more than " + std::to_string(kMaxFactRecords) + " records");
      return false;
    }
    b.start(tmpl, row_at, row_text(at_row));
    for (std::size_t c = 0; c < row_cells.size(); ++c) {
      int idx = column_field[c];
      if (idx < 0) {
        if (column_name[c].empty() && !row_cells[c].text.empty())
          b.problem(row_cells[c].offset, where_in(at_row, c),
                     "a value in a column with no name; name the column in the header or empty the cell");
        continue;
      }
      auto field = static_cast<std::size_t>(idx);
      if (row_cells[c].text.empty()) {
        b.set_unknown(field, row_cells[c].offset);
        continue;
      }
      bool none = false;
      if (b.converter().quick(tmpl, field, row_cells[c].text, b.slot(field), none)) {
        b.placed(field, none, row_cells[c].offset);
        continue;
      }
      if (auto p = b.converter().from_text(tmpl, field, row_cells[c].text, b.slot(field), none)) {
        b.set_failed(field, row_cells[c].offset);
        b.problem(row_cells[c].offset, where_in(at_row, c), std::move(p->message), std::move(p->suggestion));
        continue;
      }
      b.placed(field, none, row_cells[c].offset);
    }
    b.complete(
        row_at,
        [&](std::size_t field) {
          for (std::size_t c = 0; c < column_field.size(); ++c)
            if (column_field[c] >= 0 && static_cast<std::size_t>(column_field[c]) == field) return where_in(at_row, c);
          return "row " + std::to_string(at_row);
        },
        true);
    return true;
  };
  // The next row that is not a `#` comment or blank from `sc` into `cs`,
  // before `stop` (where a row starts), rows counted on in `r` (comment and
  // blank rows too), the row's start in `row_at`. False at `stop`, at the
  // end, when `b` is full, or after reporting a syntax problem to `b`.
  auto next_row = [](RecordBuilder& b, CsvScanner& sc, std::size_t stop, std::size_t& r, std::vector<Cell>& cs,
                     std::size_t& row_at) {
    while (!sc.done() && sc.at() < stop && !b.full()) {
      ++r;
      row_at = sc.at();
      bool comment = false, blank = false;
      if (!sc.row(cs, comment, blank)) {
        b.problem(sc.error_at, "row " + std::to_string(r), sc.error);
        return false;
      }
      if (!comment && !blank) return true;
    }
    return false;
  };
  // Rows of data from `sc` into `b` until `stop` (where a row starts), row
  // numbers counted on in `r`; each record's row in `rows` when given.
  auto read_rows = [&](RecordBuilder& b, CsvScanner& sc, std::size_t stop, std::size_t& r,
                       std::vector<std::size_t>* rows) {
    std::vector<Cell> cs;
    std::size_t at = 0;
    while (next_row(b, sc, stop, r, cs, at)) {
      std::size_t before = b.count();
      if (!data_row(b, cs, r, at)) return;
      if (rows && b.count() > before) rows->push_back(r);
    }
  };
  // The header: the first row that is not a comment or blank.
  std::size_t row_at = 0;
  const bool header = next_row(rb, scan, text.size(), row, cells, row_at);
  if (header && cells.size() > kMaxFactColumns) {
    rb.problem(cells[kMaxFactColumns].offset, "row " + std::to_string(row),
               "the header has " + std::to_string(cells.size()) + " columns; a CSV file may have at most " +
                   std::to_string(kMaxFactColumns));
  } else if (header) {
    std::vector<std::size_t> seen(t.fields.size(), kNowhere);
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::string name(cells[c].text);
      column_name.push_back(name);
      column_field.push_back(-1);
      if (name.empty() || name.rfind("x_", 0) == 0) continue;
      int idx = t.field_index(name);
      std::string at = "row " + std::to_string(row) + ", column " + column_letters(c);
      if (idx < 0) {
        rb.problem(cells[c].offset, at,
                   "unknown column `" + shown(name) + "`: `" + t.name +
                       "` has no such field (prefix it with `x_` to carry a column Advise should ignore)",
                   field_hint(t, name));
        continue;
      }
      const TemplateField& f = t.fields[static_cast<std::size_t>(idx)];
      if (f.derived_only()) {
        const std::string& owner = t.fields[static_cast<std::size_t>(f.none_of)].def.name;
        rb.problem(cells[c].offset, at,
                   "`" + name + "` is set by the reader; write `none` in the column `" + owner + "` instead", owner);
        continue;
      }
      if (seen[static_cast<std::size_t>(idx)] != kNowhere) {
        rb.problem(cells[c].offset, at,
                   "the column `" + name + "` appears twice (also column " +
                       column_letters(seen[static_cast<std::size_t>(idx)]) + "); keep one");
        continue;
      }
      seen[static_cast<std::size_t>(idx)] = c;
      column_field.back() = idx;
    }
    for (std::size_t i = 0; i < t.fields.size(); ++i)
      if (t.fields[i].required && seen[i] == kNowhere)
        rb.problem(row_at, "row " + std::to_string(row),
                   "the header has no column `" + t.fields[i].def.name + "`; `" + t.fields[i].def.name +
                       "` is required in every `" + t.name + "` record");
  }
  // The rows, unless the header is wrong (they cannot be read against it).
  std::optional<std::size_t> split;
  if (header && pending.empty() && halves && text.size() - scan.at() >= kCsvHalvesBytes)
    split = csv_split(text, scan.at());
  if (header && pending.empty() && !split) read_rows(rb, scan, text.size(), row, nullptr);
  if (split) {
    // Two halves at once: this builder reads up to the split, another one
    // the rest, numbering its rows from the split. Anything but a clean read
    // (a problem or a warning in either half, or the first half not ending
    // at the split: it was not where a row starts) and the file is read
    // again in one pass, for its messages in their order.
    std::vector<Pending> second_pending;
    RecordBuilder second(kb, templates, file_ptr, second_pending);
    std::vector<std::size_t> second_rows;
    CsvScanner rest(text, *split);
    std::size_t rest_rows = 0;
    run_both([&] { read_rows(rb, scan, *split, row, nullptr); },
             [&] { read_rows(second, rest, text.size(), rest_rows, &second_rows); });
    if (scan.at() != *split || !rest.done() || !pending.empty() || !second_pending.empty() || !rb.warnings().empty() ||
        !second.warnings().empty() || rb.full() || second.full() || rb.count() + second.count() > kMaxFactRecords)
      return read_csv(text, file, kb, templates, tmpl, out, errors, false);
    rb.append(std::move(second), [&](std::size_t i) { return row_text(row + second_rows[i]); });
  }
  if (!header && pending.empty())
    rb.problem(kNowhere, "", "the file has no header row; the first row that is not a `#` comment names the columns");
  if (rb.full() || !pending.empty() || !rb.commit(text, out, [](const FactRecord& r) { return r.origin.where; })) {
    finish(text, pending, rb.warnings(), errors);
    return false;
  }
  finish(text, rb.warnings(), errors);
  return true;
}

}  // namespace

bool read_facts_csv(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                    const TemplateSet& templates, int tmpl, std::vector<FactRecord>& out,
                    std::vector<DataError>& errors) {
  return read_csv(text, file, kb, templates, tmpl, out, errors, true);
}

bool read_facts_csv_one_pass(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                             const TemplateSet& templates, int tmpl, std::vector<FactRecord>& out,
                             std::vector<DataError>& errors) {
  return read_csv(text, file, kb, templates, tmpl, out, errors, false);
}

// ============================================================== JSON

namespace {

// A pointer into the text that publishes how far nlohmann's lexer has read
// (it reads at most one character past a number).
struct TrackedChar {
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  const char* p = nullptr;
  const char** seen = nullptr;
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

std::string json_step(const std::string& key) {
  bool plain = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_');
  for (char c : key) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (plain) return "." + key;
  return "[" + cut(ordered_json(key).dump(-1, ' ', false, ordered_json::error_handler_t::replace), 64) + "]";
}

class FactsSax {
 public:
  using number_integer_t = ordered_json::number_integer_t;
  using number_unsigned_t = ordered_json::number_unsigned_t;
  using number_float_t = ordered_json::number_float_t;
  using string_t = ordered_json::string_t;
  using binary_t = ordered_json::binary_t;

  FactsSax(const std::string& text, const char** seen, const TemplateSet& templates, RecordBuilder& rb)
      : t_(text), seen_(seen), templates_(templates), rb_(rb) {}

  bool null() { return scalar(nullptr); }
  bool boolean(bool b) { return scalar(b); }
  bool number_integer(number_integer_t n) { return scalar(n); }
  bool number_unsigned(number_unsigned_t n) { return scalar(n); }
  bool number_float(number_float_t d, const string_t&) { return scalar(d); }
  bool string(string_t& s) { return scalar(std::move(s)); }
  bool binary(binary_t&) { return false; }
  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(string_t& k) {
    if (skip_) return true;
    std::size_t at = json_token_start(t_, read() - 1);
    if (level_ == 1 && top_object_) {
      top_key_ = k;
      top_key_at_ = at;
      return true;
    }
    if (in_record_) {
      entries_.push_back({std::move(k), at, kNowhere, ordered_json(), false});
    }
    return !rb_.full();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string&, const Exception&) {
    // Where and what come from the text (kb/json_syntax.hpp), never from
    // nlohmann's message.
    std::size_t at = position > 0 ? std::min(position - 1, t_.size()) : 0;
    syntax_ = true;
    if constexpr (std::is_same_v<Exception, ordered_json::out_of_range>) {
      // 406: a number too large for a double, ending where the reading stopped.
      std::size_t start = json_token_start(t_, at);
      std::string literal;
      for (std::size_t i = start; i < t_.size() && json_literal_char(t_[i]); ++i) literal += t_[i];
      rb_.problem(start, "", "invalid JSON: the number `" + cut(literal, 30) + "` is too large");
    } else if (auto found = find_json_syntax_error(t_)) {
      JsonSyntaxMessage m = describe_json_syntax_error(t_, *found, "document; a file of facts is one document");
      rb_.problem(m.offset, "", "invalid JSON: " + m.message);
    } else {
      rb_.problem(json_token_start(t_, at), "", "invalid JSON");
    }
    return false;
  }

  bool syntax() const { return syntax_; }
  bool saw_top() const { return saw_top_; }

 private:
  struct Entry {
    std::string key;
    std::size_t key_at, value_at;
    ordered_json value;
    bool nested;  // a list or an object
  };

  std::size_t read() const { return static_cast<std::size_t>(*seen_ - t_.data()); }

  std::string item_path() const {
    return (top_object_ ? "$" + json_step(top_key_) : std::string("$")) + "[" + std::to_string(item_) + "]";
  }

  // The array that holds records: the top-level one, or a template's.
  bool in_record_array() const { return level_ == (top_object_ ? 2 : 1); }

  template <class V>
  bool scalar(V&& v) {
    if (skip_) return true;
    std::size_t at = json_token_start(t_, read() - 1);
    if (level_ == 0) {
      saw_top_ = true;
      rb_.problem(at, "$", "expected an array of records or an object of arrays keyed by template name, like {\"" +
                               first_template() + "\": [...]}");
      return false;
    }
    if (level_ == 1 && top_object_) {
      if (!top_key_.empty() && top_key_[0] == '$') return true;
      top_value(at, false);
      return !rb_.full();
    }
    if (in_record_array()) {
      rb_.problem(at, item_path(), "expected a record (a JSON object), found " + kind_of(ordered_json(v)));
      ++item_;
      return !rb_.full();
    }
    if (in_record_ && level_ == record_level_ && !entries_.empty()) {
      entries_.back().value_at = at;
      entries_.back().value = ordered_json(std::forward<V>(v));
    }
    return true;
  }

  bool open(bool object) {
    std::size_t at = read() - 1;
    if (skip_) {
      ++skip_;
      return true;
    }
    if (level_ == 0) {
      saw_top_ = true;
      top_object_ = object;
      level_ = 1;
      return true;
    }
    if (level_ == 1 && top_object_) {
      if (!top_key_.empty() && top_key_[0] == '$') {
        skip_ = 1;
        return true;
      }
      if (!top_value(at, !object)) {
        skip_ = 1;
        return !rb_.full();
      }
      level_ = 2;
      item_ = 0;
      return true;
    }
    if (in_record_array()) {
      if (!object) {
        rb_.problem(at, item_path(), "expected a record (a JSON object), found a list");
        ++item_;
        skip_ = 1;
        return !rb_.full();
      }
      in_record_ = true;
      record_at_ = at;
      record_level_ = level_ + 1;
      ++level_;
      entries_.clear();
      return true;
    }
    // A list or an object as a record's value.
    if (in_record_ && !entries_.empty()) {
      entries_.back().value_at = at;
      entries_.back().nested = true;
      entries_.back().value = object ? ordered_json::object() : ordered_json::array();
    }
    skip_ = 1;
    return true;
  }

  bool close() {
    if (skip_) {
      --skip_;
      return true;
    }
    if (in_record_ && level_ == record_level_) {
      in_record_ = false;
      --level_;
      record();
      ++item_;
      return !rb_.full();
    }
    --level_;
    return true;
  }

  std::string first_template() const { return templates_.templates.empty() ? "program" : templates_.templates[0].name; }

  static std::string kind_of(const ordered_json& j) {
    switch (j.type()) {
      case ordered_json::value_t::null: return "null";
      case ordered_json::value_t::boolean: return "a boolean";
      case ordered_json::value_t::string: return "a string";
      case ordered_json::value_t::array: return "a list";
      case ordered_json::value_t::object: return "an object";
      default: return "a number";
    }
  }

  // A member of the top-level object: a template's array of records.
  bool top_value(std::size_t at, bool is_array) {
    std::string path = "$" + json_step(top_key_);
    tmpl_ = templates_.find(top_key_);
    if (tmpl_ < 0) {
      rb_.problem(top_key_at_, path,
                  "unknown template `" + shown(top_key_) + "` (keys starting with `$` are comments)",
                  did_you_mean(top_key_, templates_.names()));
      return false;
    }
    if (seen_templates_.count(top_key_)) {
      rb_.problem(top_key_at_, path, "the template `" + top_key_ + "` appears twice; keep one array of its records");
      return false;
    }
    seen_templates_.emplace(top_key_, true);
    if (!is_array) {
      rb_.problem(at, path, "expected a list of `" + top_key_ + "` records");
      return false;
    }
    return true;
  }

  void record() {
    std::string path = item_path();
    int tmpl = tmpl_;
    std::unordered_map<std::string_view, std::size_t> seen;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (seen.emplace(entries_[i].key, i).second) continue;
      rb_.problem(entries_[i].key_at, path + json_step(entries_[i].key),
                  "the field `" + shown(entries_[i].key) + "` appears twice in the record; keep one");
    }
    if (!top_object_) {
      auto it = seen.find("template");
      if (it == seen.end()) {
        rb_.problem(record_at_, path,
                    "the record has no `template` key naming its template (in a top-level list, every record "
                    "says which template it is, like {\"template\": \"" +
                        first_template() + "\", ...})");
        return;
      }
      const Entry& e = entries_[it->second];
      if (!e.value.is_string()) {
        rb_.problem(e.value_at, path + ".template", "expected the name of a template in double quotes");
        return;
      }
      tmpl = templates_.find(e.value.get_ref<const std::string&>());
      if (tmpl < 0) {
        const std::string& n = e.value.get_ref<const std::string&>();
        rb_.problem(e.value_at, path + ".template", "unknown template `" + shown(n) + "`",
                    did_you_mean(n, templates_.names()));
        return;
      }
    }
    const TemplateDef& t = rb_.tdef(tmpl);
    rb_.start(tmpl, record_at_, path);
    for (Entry& e : entries_) {
      if (!top_object_ && e.key == "template") continue;
      if ((!e.key.empty() && e.key[0] == '$') || e.key.rfind("x_", 0) == 0) continue;
      auto fpath = [&] { return path + json_step(e.key); };
      int idx = t.field_index(e.key);
      if (idx < 0) {
        rb_.problem(e.key_at, fpath(),
                    "unknown field `" + shown(e.key) + "`: `" + t.name +
                        "` has no such field (prefix it with `x_` to carry a field Advise should ignore)",
                    field_hint(t, e.key));
        continue;
      }
      auto field = static_cast<std::size_t>(idx);
      const TemplateField& f = t.fields[field];
      if (f.derived_only()) {
        const std::string& owner = t.fields[static_cast<std::size_t>(f.none_of)].def.name;
        rb_.problem(e.key_at, fpath(), "`" + e.key + "` is set by the reader; write \"none\" in `" + owner + "` instead",
                    owner);
        continue;
      }
      if (e.value.is_null() && !e.nested) {
        rb_.problem(e.value_at, fpath(), "null is not a value; leave the field out when it is not known");
        rb_.set_failed(field, e.value_at);
        continue;
      }
      Value v;
      bool none = false;
      std::optional<Problem> p;
      if (e.nested)
        p = Problem{"expected " + rb_.converter().expected(f) + ", found " + kind_of(e.value) +
                        " (a field of a record holds one value)",
                    {}};
      else if (e.value.is_string())
        p = rb_.converter().from_json_string(tmpl, field, e.value.get_ref<const std::string&>(), v, none);
      else
        p = rb_.converter().from_json_scalar(f, e.value, v);
      if (p) {
        rb_.set_failed(field, e.value_at);
        rb_.problem(e.value_at, fpath(), std::move(p->message), std::move(p->suggestion));
        continue;
      }
      rb_.set(field, std::move(v), none, e.value_at);
    }
    rb_.complete(record_at_, [&](std::size_t field) {
      return field == kNowhere ? path : path + json_step(t.fields[field].def.name);
    });
  }

  const std::string& t_;
  const char** seen_;
  const TemplateSet& templates_;
  RecordBuilder& rb_;
  std::size_t skip_ = 0;  // > 0: inside a value being skipped, at that depth
  std::size_t level_ = 0;
  bool top_object_ = false, saw_top_ = false, syntax_ = false;
  std::string top_key_;
  std::size_t top_key_at_ = 0;
  std::unordered_map<std::string, bool> seen_templates_;
  int tmpl_ = -1;
  std::size_t item_ = 0;
  bool in_record_ = false;
  std::size_t record_level_ = 0, record_at_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace

bool read_facts_json(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                     const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& errors) {
  std::vector<Pending> pending;
  if (text.size() > kMaxFactsBytes) {
    errors.push_back({file, "", 0, 0,
                      size_limit_message("the file", text.size(), "a facts file", kMaxFactsBytes),
                      {}});
    return false;
  }
  if (auto p = not_text(text, file)) {
    pending.push_back(std::move(*p));
    finish(text, pending, errors);
    return false;
  }
  if (text.find_first_not_of(" \t\r\n", bom(text)) == std::string::npos) {
    errors.push_back({file, "", 1, 1,
                      "the file is empty; facts in JSON are an object of arrays keyed by template name, like "
                      "{\"program\": [...]}",
                      {}});
    return false;
  }
  RecordBuilder rb(kb, templates, std::make_shared<const std::string>(file), pending);
  const char* seen = text.data() + bom(text);
  FactsSax sax(text, &seen, templates, rb);
  TrackedChar first{text.data() + bom(text), &seen}, last{text.data() + text.size(), nullptr};
  try {
    ordered_json::sax_parse(first, last, &sax, nlohmann::detail::input_format_t::json, true, false);
  } catch (const ordered_json::exception&) {
    // Thrown rather than reported through parse_error: the same words.
    if (auto found = find_json_syntax_error(text)) {
      JsonSyntaxMessage m = describe_json_syntax_error(text, *found, "document; a file of facts is one document");
      rb.problem(m.offset, "", "invalid JSON: " + m.message);
    } else {
      rb.problem(kNowhere, "", "invalid JSON");
    }
  }
  if (!pending.empty() || !rb.commit(text, out, [](const FactRecord& r) { return r.origin.where; })) {
    finish(text, pending, rb.warnings(), errors);
    return false;
  }
  finish(text, rb.warnings(), errors);
  return true;
}

// ============================================================== CLIPS

namespace {

class ClipsLexer {
 public:
  enum class Kind { Open, Close, Atom, String, End, Bad };
  struct Token {
    Kind kind = Kind::End;
    std::string_view text;  // Atom; String: without the quotes, escapes still in
    std::size_t at = 0;
  };

  ClipsLexer(const std::string& t, std::size_t start) : t_(t), i_(start) {}

  Token next() {
    while (i_ < t_.size()) {
      char c = t_[i_];
      if (is_blank(c)) {
        ++i_;
      } else if (c == ';') {
        while (i_ < t_.size() && t_[i_] != '\n') ++i_;
      } else {
        break;
      }
    }
    Token tok;
    tok.at = i_;
    if (i_ >= t_.size()) return tok;
    char c = t_[i_];
    if (c == '(' || c == ')') {
      ++i_;
      tok.kind = c == '(' ? Kind::Open : Kind::Close;
      return tok;
    }
    if (c == '"') {
      std::size_t s = ++i_;
      while (i_ < t_.size() && t_[i_] != '"') i_ += t_[i_] == '\\' ? 2 : 1;
      if (i_ >= t_.size()) {
        tok.kind = Kind::Bad;
        return tok;
      }
      tok.kind = Kind::String;
      tok.text = std::string_view(t_).substr(s, i_ - s);
      ++i_;
      return tok;
    }
    std::size_t s = i_;
    while (i_ < t_.size() && !is_blank(t_[i_]) && t_[i_] != '(' && t_[i_] != ')' && t_[i_] != '"' && t_[i_] != ';')
      ++i_;
    tok.kind = Kind::Atom;
    tok.text = std::string_view(t_).substr(s, i_ - s);
    return tok;
  }

 private:
  const std::string& t_;
  std::size_t i_;
};

std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out += s[i];
  }
  return out;
}

std::string token_shown(const ClipsLexer::Token& t) {
  switch (t.kind) {
    case ClipsLexer::Kind::Open: return "`(`";
    case ClipsLexer::Kind::Close: return "`)`";
    case ClipsLexer::Kind::End: return "the end of the file";
    case ClipsLexer::Kind::String: return "the string \"" + shown(t.text) + "\"";
    default: return "`" + shown(t.text) + "`";
  }
}

}  // namespace

bool read_facts_clips(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                      const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& errors) {
  std::vector<Pending> pending;
  if (text.size() > kMaxFactsBytes) {
    errors.push_back({file, "", 0, 0,
                      size_limit_message("the file", text.size(), "a facts file", kMaxFactsBytes),
                      {}});
    return false;
  }
  if (auto p = not_text(text, file)) {
    pending.push_back(std::move(*p));
    finish(text, pending, errors);
    return false;
  }
  RecordBuilder rb(kb, templates, std::make_shared<const std::string>(file), pending);
  ClipsLexer lex(text, bom(text));
  using K = ClipsLexer::Kind;
  std::size_t n = 0;
  auto syntax = [&](const ClipsLexer::Token& t, const std::string& where, const std::string& expected) {
    if (t.kind == K::Bad)
      rb.problem(t.at, where, "a string in double quotes is not closed");
    else
      rb.problem(t.at, where, "expected " + expected + ", found " + token_shown(t));
  };
  bool stop = false;
  while (!stop && !rb.full()) {
    ClipsLexer::Token open = lex.next();
    if (open.kind == K::End) break;
    std::string where = "fact " + std::to_string(n + 1);
    if (open.kind != K::Open) {
      syntax(open, where, "`(` to start a fact like (guest (name n1) (sex f))");
      break;
    }
    ClipsLexer::Token name = lex.next();
    if (name.kind != K::Atom) {
      syntax(name, where, "the name of a template after `(`");
      break;
    }
    if (rb.count() >= kMaxFactRecords) {
      rb.problem(open.at, where, "the file has more than " + std::to_string(kMaxFactRecords) + " facts");
      break;
    }
    ++n;
    int tmpl = templates.find(name.text);
    if (tmpl < 0)
      rb.problem(name.at, where, "unknown template `" + shown(name.text) + "`",
                 did_you_mean(std::string(name.text), templates.names()));
    else
      rb.start(tmpl, open.at, where);
    const TemplateDef* t = tmpl >= 0 ? &templates.templates[static_cast<std::size_t>(tmpl)] : nullptr;
    while (true) {
      ClipsLexer::Token tok = lex.next();
      if (tok.kind == K::Close) break;
      if (tok.kind != K::Open) {
        syntax(tok, where, "`(` to start a slot or `)` to end the fact");
        stop = true;
        break;
      }
      ClipsLexer::Token slot = lex.next();
      if (slot.kind != K::Atom) {
        syntax(slot, where, "the name of a slot after `(`");
        stop = true;
        break;
      }
      std::vector<ClipsLexer::Token> values;
      ClipsLexer::Token v;
      while ((v = lex.next()).kind == K::Atom || v.kind == K::String) values.push_back(v);
      if (v.kind != K::Close) {
        syntax(v, where, "a value or `)` to end the slot `" + shown(slot.text) + "`");
        stop = true;
        break;
      }
      if (!t) continue;
      std::string sname(slot.text);
      std::string swhere = where + ", slot " + shown(sname);
      int idx = t->field_index(sname);
      if (idx < 0 || t->fields[static_cast<std::size_t>(idx)].derived_only()) {
        rb.problem(slot.at, swhere, "unknown slot `" + shown(sname) + "`: `" + t->name + "` has no such field",
                   field_hint(*t, sname));
        continue;
      }
      auto field = static_cast<std::size_t>(idx);
      if (rb.given(field)) {
        rb.problem(slot.at, swhere, "the slot `" + sname + "` appears twice in the fact; keep one");
        continue;
      }
      if (values.size() != 1) {
        rb.set_failed(field, slot.at);
        rb.problem(values.empty() ? v.at : values[1].at, swhere,
                   values.empty() ? "the slot `" + sname + "` has no value; leave the slot out when it is not known"
                                  : "the slot `" + sname + "` holds " + std::to_string(values.size()) +
                                        " values; a slot of a template holds one (multislots are not read)");
        continue;
      }
      Value val;
      bool none = false;
      std::string unescaped;
      std::string_view s = values[0].text;
      if (values[0].kind == K::String) s = unescaped = unescape(s);
      if (auto p = rb.converter().from_text(tmpl, field, s, val, none)) {
        rb.set_failed(field, values[0].at);
        rb.problem(values[0].at, swhere, std::move(p->message), std::move(p->suggestion));
        continue;
      }
      rb.set(field, std::move(val), none, values[0].at);
    }
    if (!stop && t)
      rb.complete(open.at, [&](std::size_t field) {
        return field == kNowhere ? where : where + ", slot " + t->fields[field].def.name;
      });
  }
  if (!pending.empty() || !rb.commit(text, out, [](const FactRecord& r) { return r.origin.where; })) {
    finish(text, pending, rb.warnings(), errors);
    return false;
  }
  finish(text, rb.warnings(), errors);
  return true;
}

// ============================================================== files, reports

std::vector<DataError> connection_warnings(const Profile& profile, const TemplateSet& templates,
                                           const std::vector<FactRecord>& records) {
  std::vector<DataError> out;
  int tmpl = templates.find("program");
  if (tmpl < 0 || !profile.kb) return out;
  int id_field = templates.templates[static_cast<std::size_t>(tmpl)].field_index("program_id");
  int field = profile.kb->field_index("program_connections");
  if (id_field < 0 || field < 0) return out;
  const Value& connections = profile.values[static_cast<std::size_t>(field)];
  if (connections.kind != Value::Kind::Map) return out;
  const auto& pairs = *connections.items;
  if (pairs.empty()) return out;
  std::vector<std::string_view> ids;  // views of the records' ids
  ids.reserve(records.size());
  for (const FactRecord& r : records) {
    if (r.tmpl != tmpl) continue;
    const Value& v = r.values[static_cast<std::size_t>(id_field)];
    if (v.kind == Value::Kind::Text) ids.push_back(*v.text);
  }
  // A few connections are looked for one by one; many, in a hash set.
  std::unordered_set<std::string_view> held;
  if (pairs.size() / 2 > 16) held.insert(ids.begin(), ids.end());
  auto is_held = [&](std::string_view id) {
    if (!held.empty()) return held.count(id) > 0;
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  for (std::size_t i = 0; i + 1 < pairs.size(); i += 2) {
    if (pairs[i].kind != Value::Kind::Text || is_held(*pairs[i].text)) continue;
    const std::string& id = *pairs[i].text;
    DataError e{profile.source, "$.program_connections." + id, 0, 0,
                "no program of the catalog has the id `" + shown(id) +
                    "`, so this connection places no program on the list; check the id against the catalog",
                std::nullopt};
    // An id one typo away: a digit wrong, or two neighbours swapped (the
    // smallest such id, so that the suggestion is deterministic).
    for (std::string_view c : ids) {
      if (c.size() != id.size() || (e.suggestion && c >= *e.suggestion)) continue;
      std::size_t first = id.size(), count = 0;
      for (std::size_t k = 0; k < id.size(); ++k)
        if (c[k] != id[k] && count++ == 0) first = k;
      bool swapped = count == 2 && first + 1 < id.size() && c[first] == id[first + 1] && c[first + 1] == id[first];
      if (count == 1 || swapped) e.suggestion = std::string(c);
    }
    e.warning = true;
    out.push_back(std::move(e));
  }
  return out;
}

namespace {

// The file's format by its extension (`ext`, lowered) and, for a CSV, its
// template (`tmpl`); false with an error when they do not fit.
bool facts_format(const std::string& path, const std::string& template_name, const TemplateSet& templates,
                  std::string& ext, int& tmpl, std::vector<DataError>& errors) {
  auto dot = path.find_last_of('.');
  ext = dot == std::string::npos || path.find('/', dot) != std::string::npos ? "" : lower(path.substr(dot + 1));
  if (ext != "json" && ext != "csv" && ext != "fct" && ext != "clp") {
    errors.push_back({path, "", 0, 0,
                      "cannot tell the format of the facts file from its name; name it `.json`, `.csv`, or `.fct` "
                      "(CLIPS facts)",
                      {}});
    return false;
  }
  tmpl = -1;
  if (ext == "csv") {
    if (template_name.empty()) {
      std::string first = templates.templates.empty() ? "program" : templates.templates[0].name;
      errors.push_back({path, "", 0, 0,
                        "a CSV file holds records of one template; name it, like `" + first + "=" + path + "`", {}});
      return false;
    }
    tmpl = templates.find(template_name);
    if (tmpl < 0) {
      errors.push_back({path, "", 0, 0, "unknown template `" + shown(template_name) + "`",
                        did_you_mean(template_name, templates.names())});
      return false;
    }
  } else if (!template_name.empty()) {
    errors.push_back({path, "", 0, 0,
                      "only a CSV file is named with its template; a " + ext +
                          " file says which template each record is",
                      {}});
    return false;
  }
  return true;
}

bool read_facts_as(const std::string& text, const std::string& path, const std::string& ext, int tmpl,
                   const KnowledgeBase& kb, const TemplateSet& templates, std::vector<FactRecord>& out,
                   std::vector<DataError>& errors) {
  if (ext == "json") return read_facts_json(text, path, kb, templates, out, errors);
  if (ext == "csv") return read_facts_csv(text, path, kb, templates, tmpl, out, errors);
  return read_facts_clips(text, path, kb, templates, out, errors);
}

}  // namespace

bool read_facts_file(const std::string& path, const std::string& template_name, const KnowledgeBase& kb,
                     const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& errors) {
  std::string ext;
  int tmpl = -1;
  if (!facts_format(path, template_name, templates, ext, tmpl, errors)) return false;
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    errors.push_back({path, "", 0, 0, "cannot read the facts file", {}});
    return false;
  }
  f.seekg(0, std::ios::end);
  auto size = f.tellg();
  if (size > 0 && static_cast<std::uint64_t>(size) > kMaxFactsBytes) {
    errors.push_back({path, "", 0, 0,
                      size_limit_message("the file", static_cast<std::uint64_t>(size), "a facts file",
                                         kMaxFactsBytes),
                      {}});
    return false;
  }
  f.seekg(0, std::ios::beg);
  std::string text;
  if (size > 0) text.resize(static_cast<std::size_t>(size));
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (!f && !text.empty()) {
    errors.push_back({path, "", 0, 0, "cannot read the facts file", {}});
    return false;
  }
  return read_facts_as(text, path, ext, tmpl, kb, templates, out, errors);
}

bool read_facts_text(const std::string& text, const std::string& path, const std::string& template_name,
                     const KnowledgeBase& kb, const TemplateSet& templates, std::vector<FactRecord>& out,
                     std::vector<DataError>& errors) {
  std::string ext;
  int tmpl = -1;
  if (!facts_format(path, template_name, templates, ext, tmpl, errors)) return false;
  if (text.size() > kMaxFactsBytes) {
    errors.push_back({path, "", 0, 0,
                      size_limit_message("the file", text.size(), "a facts file", kMaxFactsBytes),
                      {}});
    return false;
  }
  return read_facts_as(text, path, ext, tmpl, kb, templates, out, errors);
}

std::vector<UnknownCount> unknown_counts(const TemplateSet& templates, int tmpl, const std::vector<FactRecord>& records) {
  std::vector<UnknownCount> out;
  if (tmpl < 0 || static_cast<std::size_t>(tmpl) >= templates.templates.size()) return out;
  const TemplateDef& t = templates.templates[static_cast<std::size_t>(tmpl)];
  std::vector<std::size_t> index;
  for (std::size_t i = 0; i < t.fields.size(); ++i) {
    if (t.fields[i].derived_only()) continue;
    out.push_back({t.fields[i].def.name, 0, 0});
    index.push_back(i);
  }
  for (const FactRecord& r : records) {
    if (r.tmpl != tmpl) continue;
    for (std::size_t k = 0; k < index.size(); ++k) {
      const TemplateField& f = t.fields[index[k]];
      ++out[k].records;
      bool none = f.none_flag >= 0 && r.values[static_cast<std::size_t>(f.none_flag)].kind == Value::Kind::Bool &&
                  r.values[static_cast<std::size_t>(f.none_flag)].flag;
      if (r.values[index[k]].is_missing() && !none) ++out[k].unknown;
    }
  }
  return out;
}

ordered_json fact_to_json(const KnowledgeBase& kb, const TemplateSet& templates, const FactRecord& record) {
  const TemplateDef& t = templates.templates.at(static_cast<std::size_t>(record.tmpl));
  ordered_json o = ordered_json::object();
  o["template"] = t.name;
  for (std::size_t i = 0; i < t.fields.size(); ++i) {
    const TemplateField& f = t.fields[i];
    if (f.derived_only()) continue;
    const Value& v = record.values[i];
    if (f.none_flag >= 0) {
      const Value& flag = record.values[static_cast<std::size_t>(f.none_flag)];
      if (flag.kind == Value::Kind::Bool && flag.flag) {
        o[f.def.name] = "none";
        continue;
      }
    }
    if (v.is_missing()) continue;
    o[f.def.name] = value_json(v, kb);
  }
  return o;
}

std::string fact_key_text(const KnowledgeBase& kb, const TemplateSet& templates, const FactRecord& record) {
  return fact_key_text(kb, templates.templates.at(static_cast<std::size_t>(record.tmpl)), record.values);
}

std::string fact_key_text(const KnowledgeBase& kb, const TemplateDef& t, std::span<const Value> values) {
  std::vector<std::int32_t> key = t.key;
  if (key.empty() && !t.fields.empty()) key.push_back(0);
  std::string out;
  for (std::size_t k = 0; k < key.size(); ++k) {
    auto f = static_cast<std::size_t>(key[k]);
    const Value& v = values[f];
    out += (k ? ", " : "") + t.fields[f].def.name + " " + (v.is_missing() ? "unknown" : kb.display(v));
  }
  return out;
}

}  // namespace advise
