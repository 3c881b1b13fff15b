#include "kb/knowledge_base.hpp"

#include <algorithm>
#include <cctype>
#include <tuple>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kb/json_syntax.hpp"
#include "kb/sanitize.hpp"
#include "kb/suggest.hpp"

namespace advise {

using nlohmann::json;

// For a terminal: the file name and the message (which may quote the file)
// go through the one sanitizer.
std::string DataError::text() const {
  std::string out = terminal_safe(file);
  if (line) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += warning ? ": warning: " : ": error: ";
  if (!path.empty()) out += "at " + terminal_safe(path) + ": ";
  out += terminal_safe(message);
  if (suggestion) out += "; did you mean `" + terminal_safe(*suggestion) + "`?";
  return out;
}

std::pair<std::uint32_t, std::uint32_t> offset_to_line_col(const std::string& text, std::size_t offset) {
  std::uint32_t line = 1, col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

namespace {

// The byte offset where the value at a JSON path (`$.dermatology.backups[0]`)
// starts in `text`, or npos: a small scanner over well-formed JSON that
// follows the path's keys and indexes, for errors found after parsing.
class PathLocator {
 public:
  explicit PathLocator(const std::string& t) : t_(t) {}

  std::size_t find(const std::string& path) {
    if (path.empty() || path[0] != '$') return std::string::npos;
    std::vector<std::string> keys;
    std::vector<long> indexes;  // -1 for a key step
    for (std::size_t i = 1; i < path.size();) {
      if (path[i] == '.') {
        std::size_t j = i + 1;
        while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
        keys.push_back(path.substr(i + 1, j - i - 1));
        indexes.push_back(-1);
        i = j;
      } else if (path[i] == '[') {
        std::size_t j = path.find(']', i);
        if (j == std::string::npos) return std::string::npos;
        keys.emplace_back();
        indexes.push_back(std::strtol(path.substr(i + 1, j - i - 1).c_str(), nullptr, 10));
        i = j + 1;
      } else {
        return std::string::npos;
      }
    }
    p_ = 0;
    ws();
    for (std::size_t step = 0; step < keys.size(); ++step) {
      if (p_ >= t_.size()) return std::string::npos;
      if (indexes[step] < 0) {
        if (t_[p_] != '{') return std::string::npos;
        ++p_;
        bool found = false;
        while (true) {
          ws();
          if (p_ >= t_.size() || t_[p_] == '}') break;
          std::string k = str();
          ws();
          if (p_ < t_.size() && t_[p_] == ':') ++p_;
          ws();
          if (k == keys[step]) {
            found = true;
            break;
          }
          skip();
          ws();
          if (p_ < t_.size() && t_[p_] == ',') ++p_;
        }
        if (!found) return std::string::npos;
      } else {
        if (t_[p_] != '[') return std::string::npos;
        ++p_;
        for (long n = 0; n < indexes[step]; ++n) {
          ws();
          skip();
          ws();
          if (p_ < t_.size() && t_[p_] == ',') ++p_;
        }
        ws();
      }
    }
    return p_ < t_.size() ? p_ : std::string::npos;
  }

 private:
  const std::string& t_;
  std::size_t p_ = 0;
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\n' || t_[p_] == '\r' || t_[p_] == '\t')) ++p_;
  }
  std::string str() {
    std::string out;
    if (p_ >= t_.size() || t_[p_] != '"') return out;
    ++p_;
    while (p_ < t_.size() && t_[p_] != '"') {
      if (t_[p_] == '\\' && p_ + 1 < t_.size()) ++p_;
      out += t_[p_++];
    }
    ++p_;
    return out;
  }
  void skip() {
    if (p_ >= t_.size()) return;
    char c = t_[p_];
    if (c == '"') {
      str();
      return;
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (p_ < t_.size()) {
        char d = t_[p_];
        if (d == '"') {
          str();
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') {
          --depth;
          if (depth == 0) {
            ++p_;
            return;
          }
        }
        ++p_;
      }
      return;
    }
    while (p_ < t_.size() && t_[p_] != ',' && t_[p_] != '}' && t_[p_] != ']') ++p_;
  }
};

}  // namespace

void locate_data_errors(const std::string& text, const std::string& file, std::vector<DataError>& errors,
                        std::size_t from) {
  PathLocator loc(text);
  for (std::size_t i = from; i < errors.size(); ++i) {
    DataError& e = errors[i];
    if (e.file != file || e.line != 0 || e.path.empty()) continue;
    // A missing member is reported at its object.
    std::string path = e.path;
    std::size_t at = loc.find(path);
    while (at == std::string::npos && path.size() > 1) {
      std::size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos || cut == 0) break;
      path = path.substr(0, cut);
      at = loc.find(path);
    }
    if (at == std::string::npos) continue;
    auto [line, col] = offset_to_line_col(text, at);
    e.line = line;
    e.column = col;
  }
}

namespace {

// nlohmann's tree builder, refusing duplicate keys on the way (nlohmann keeps
// the last silently). A SAX handler rather than a parse callback: the
// callback parser costs several times a plain parse (kb/schema.json is read
// at every start; docs/engine.md, "Start-up").
class DuplicateKeySax : public nlohmann::detail::json_sax_dom_parser<json> {
 public:
  DuplicateKeySax(json& into, const std::string& file, std::vector<DataError>& errors)
      : json_sax_dom_parser(into, true), file_(file), errors_(errors) {}
  bool start_object(std::size_t n) {
    keys_.emplace_back();
    return json_sax_dom_parser::start_object(n);
  }
  bool end_object() {
    if (!keys_.empty()) keys_.pop_back();
    return json_sax_dom_parser::end_object();
  }
  bool key(string_t& k) {
    if (!keys_.empty() && !keys_.back().insert(k).second)
      errors_.push_back({file_, "$." + k, 0, 0, "the key `" + k + "` appears twice in one object; keep one", {}});
    return json_sax_dom_parser::key(k);
  }

 private:
  const std::string& file_;
  std::vector<DataError>& errors_;
  std::vector<std::set<std::string>> keys_;
};

}  // namespace

// The offset of the first number literal (outside strings) too large for a
// double, npos when none.
std::size_t overflowing_number(const std::string& text) {
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && !std::isdigit(static_cast<unsigned char>(c))) continue;
    std::size_t end = i;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '-' ||
                                 text[end] == '+' || text[end] == '.' || text[end] == 'e' || text[end] == 'E'))
      ++end;
    if (std::isinf(std::strtod(text.substr(i, end - i).c_str(), nullptr))) return i;
    i = end - 1;
  }
  return std::string::npos;
}

std::optional<json> parse_json_document(const std::string& text, const std::string& file,
                                        std::vector<DataError>& errors) {
  std::size_t before = errors.size();
  try {
    json j;
    DuplicateKeySax sax(j, file, errors);
    json::sax_parse(text, &sax, nlohmann::detail::input_format_t::json, true, false);
    if (errors.size() > before) return std::nullopt;
    return j;
  } catch (const json::parse_error& e) {
    // What and where: our own scanner (kb/json_syntax.hpp), not nlohmann's text.
    std::size_t at = e.byte > 0 ? std::min<std::size_t>(e.byte - 1, text.size()) : 0;
    std::string message = "invalid JSON";
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
      message += ": the file is empty; a knowledge base file is one JSON document";
    } else if (auto found = find_json_syntax_error(text)) {
      JsonSyntaxMessage m = describe_json_syntax_error(text, *found, "document; a knowledge base file is one document");
      at = m.offset;
      message += ": " + m.message;
    }
    auto [line, col] = offset_to_line_col(text, at);
    errors.push_back({file, "", line, col, message, {}});
    return std::nullopt;
  } catch (const json::out_of_range&) {
    // 406: a number too large for a double. nlohmann gives no position; the
    // first number literal of the text that overflows is the one.
    std::size_t at = overflowing_number(text);
    std::size_t end = at;
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '-' ||
                                 text[end] == '+' || text[end] == '.' || text[end] == 'e' || text[end] == 'E'))
      ++end;
    std::string lit = at == std::string::npos ? "" : text.substr(at, end - at);
    auto [line, col] = at == std::string::npos ? std::pair<std::uint32_t, std::uint32_t>{0, 0} : offset_to_line_col(text, at);
    errors.push_back({file, "", line, col, "invalid JSON: the number `" + lit.substr(0, 30) + "` is too large", {}});
    return std::nullopt;
  }
}

int KnowledgeBase::enum_index(std::string_view name) const {
  auto it = enum_index_.find(name);
  return it == enum_index_.end() ? -1 : it->second;
}
bool KnowledgeBase::actionable_now(std::size_t field, const Value& v) const {
  const Actionability& a = fields[field].actionable;
  if (a.change == Actionability::Change::Fixed) return false;
  if (!a.conditional) return true;
  if (a.while_missing && v.is_missing()) return true;
  if (a.while_below && v.kind == Value::Kind::Number && v.num < *a.while_below) return true;
  if (!a.while_in.empty() && v.kind == Value::Kind::Symbol) {
    const std::string& name = enums[static_cast<std::size_t>(v.enum_id)].values[static_cast<std::size_t>(v.sym)];
    if (std::find(a.while_in.begin(), a.while_in.end(), name) != a.while_in.end()) return true;
  }
  return false;
}

int KnowledgeBase::field_index(std::string_view name) const {
  auto it = field_index_.find(name);
  return it == field_index_.end() ? -1 : it->second;
}
int KnowledgeBase::conclusion_index(std::string_view name) const {
  auto it = conclusion_index_.find(name);
  return it == conclusion_index_.end() ? -1 : it->second;
}
int KnowledgeBase::attribute_index(std::string_view name) const {
  auto it = attribute_index_.find(name);
  return it == attribute_index_.end() ? -1 : it->second;
}
const Standard* KnowledgeBase::standard(std::string_view name) const {
  for (const auto& s : standards)
    if (s.name == name) return &s;
  return nullptr;
}

const Value* KnowledgeBase::group(std::string_view name) const {
  for (const auto& [n, v] : groups)
    if (n == name) return &v;
  return nullptr;
}

const std::string* KnowledgeBase::alias(std::string_view name) const {
  for (const auto& [n, target] : aliases)
    if (n == name) return &target;
  return nullptr;
}

void KnowledgeBase::index() {
  field_index_.clear();
  conclusion_index_.clear();
  attribute_index_.clear();
  enum_index_.clear();
  for (std::size_t i = 0; i < fields.size(); ++i) field_index_[fields[i].name] = static_cast<int>(i);
  for (std::size_t i = 0; i < conclusions.size(); ++i) conclusion_index_[conclusions[i].name] = static_cast<int>(i);
  for (std::size_t i = 0; i < specialty_attributes.size(); ++i)
    attribute_index_[specialty_attributes[i].name] = static_cast<int>(i);
  for (std::size_t i = 0; i < enums.size(); ++i) enum_index_[enums[i].name] = static_cast<int>(i);
}

std::optional<TypeId> KnowledgeBase::parse_type(const json& j, std::string& error) {
  if (j.is_string()) {
    std::string n = j.get<std::string>();
    if (n == "integer") return types.integer();
    if (n == "number") return types.number();
    if (n == "boolean") return types.boolean();
    if (n == "string") return types.string();
    if (n == "range") return types.range();
    int e = enum_index(n);
    if (e >= 0) return types.enum_type(e);
    error = "unknown type `" + n + "`";
    return std::nullopt;
  }
  if (j.is_object() && j.contains("list")) {
    auto elem = parse_type(j["list"], error);
    if (!elem) return std::nullopt;
    return types.list_of(*elem);
  }
  if (j.is_object() && j.contains("map") && j["map"].is_array() && j["map"].size() == 2) {
    auto k = parse_type(j["map"][0], error);
    auto v = k ? parse_type(j["map"][1], error) : std::nullopt;
    if (!k || !v) return std::nullopt;
    return types.map_of(*k, *v);
  }
  error = "a type is a name (integer, number, boolean, string, range or an enum) or {\"list\": T} or {\"map\": [K, V]}";
  return std::nullopt;
}

namespace {

std::string json_kind(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "a list";
    case json::value_t::object: return "an object";
    default: return "a value";
  }
}

std::string short_json(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 40) s = s.substr(0, 37) + "...";
  return s;
}

}  // namespace

bool KnowledgeBase::value_from_json(const json& j, TypeId t, const FieldDef* range, const std::string& path,
                                    Value& out, std::vector<DataError>& errors) const {
  const TypeDesc& d = types.at(t);
  auto fail = [&](std::string msg, std::optional<std::string> suggestion = std::nullopt) {
    errors.push_back({"", path, 0, 0, std::move(msg), std::move(suggestion)});
    return false;
  };
  auto check_range = [&](double x) {
    if (!range) return true;
    if ((range->min && x < *range->min) || (range->max && x > *range->max)) {
      std::string lim = range->min && range->max ? "from " + format_number(*range->min) + " to " + format_number(*range->max)
                        : range->min             ? "at least " + format_number(*range->min)
                                                 : "at most " + format_number(*range->max);
      fail("expected " + lim + ", found " + format_number(x));
      errors.back().kind = DataError::Kind::OutOfRange;
      return false;
    }
    return true;
  };
  switch (d.kind) {
    case TypeKind::Any: return fail("internal: untyped field");
    case TypeKind::Integer:
      if (j.is_number_float() && std::floor(j.get<double>()) != j.get<double>())
        return fail("expected a whole number, found " + short_json(j));
      if (!j.is_number()) return fail("expected an integer, found " + json_kind(j) + " " + short_json(j));
      if (!check_range(j.get<double>())) return false;
      out = Value::number(j.get<double>());
      return true;
    case TypeKind::Number:
      if (!j.is_number()) return fail("expected a number, found " + json_kind(j) + " " + short_json(j));
      if (!check_range(j.get<double>())) return false;
      out = Value::number(j.get<double>());
      return true;
    case TypeKind::Boolean:
      if (!j.is_boolean()) return fail("expected true or false, found " + json_kind(j) + " " + short_json(j));
      out = Value::boolean(j.get<bool>());
      return true;
    case TypeKind::String:
      if (!j.is_string()) return fail("expected a string, found " + json_kind(j) + " " + short_json(j));
      out = Value::string(j.get<std::string>());
      return true;
    case TypeKind::Range:
      if (j.is_object() && j.contains("min") && j.contains("max") && j["min"].is_number() && j["max"].is_number()) {
        out = Value::range(j["min"].get<double>(), j["max"].get<double>());
        return true;
      }
      return fail("expected a range {\"min\": N, \"max\": N}, found " + short_json(j));
    case TypeKind::Enum: {
      const EnumDef& e = enums.at(static_cast<std::size_t>(d.enum_id));
      if (!j.is_string()) return fail("expected one of the " + e.name + " values, found " + json_kind(j) + " " + short_json(j));
      std::string s = j.get<std::string>();
      int idx = e.find(s);
      if (idx < 0) {
        std::string allowed;
        if (e.values.size() <= 8) {
          allowed = " (one of";
          for (const auto& v : e.values) allowed += " " + v;
          allowed += ")";
        }
        fail("unknown " + e.name + " `" + s + "`" + allowed, did_you_mean(s, e.values));
        errors.back().kind = DataError::Kind::UnknownValue;
        return false;
      }
      out = Value::symbol(d.enum_id, idx);
      return true;
    }
    case TypeKind::List: {
      if (!j.is_array()) return fail("expected a list, found " + json_kind(j) + " " + short_json(j));
      ValueList items;
      bool ok = true;
      for (std::size_t i = 0; i < j.size(); ++i) {
        Value v;
        if (value_from_json(j[i], d.elem, range, path + "[" + std::to_string(i) + "]", v, errors)) {
          items.push_back(std::move(v));
        } else {
          ok = false;
        }
      }
      out = Value::list(std::move(items));
      return ok;
    }
    case TypeKind::Map: {
      if (!j.is_object()) return fail("expected an object, found " + json_kind(j) + " " + short_json(j));
      ValueList pairs;
      bool ok = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        Value k, v;
        bool kok = value_from_json(json(it.key()), d.key, nullptr, path + "." + it.key(), k, errors);
        bool vok = value_from_json(it.value(), d.elem, nullptr, path + "." + it.key(), v, errors);
        if (kok && vok) {
          pairs.push_back(k);
          pairs.push_back(v);
        } else {
          ok = false;
        }
      }
      out = Value::map(std::move(pairs));
      return ok;
    }
  }
  return false;
}

namespace {

std::optional<std::string> read_text(const std::string& path, std::vector<DataError>& errors) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    errors.push_back({path, "", 0, 0, "cannot read the knowledge-base file", {}});
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// "actionable": true | false | "up" | "down" | {"while_missing": B, "while_below": N, "while_in": [V...],
// "change": "any"|"up"|"down"}, with "fixed_because": why it cannot be changed.
bool read_actionable(const KnowledgeBase& kb, const json& def, const std::string& file, const std::string& path,
                     FieldDef& f, std::vector<DataError>& errors) {
  Actionability& a = f.actionable;
  const json& j = def["actionable"];
  auto fail = [&](const std::string& where, std::string message) {
    errors.push_back({file, path + where, 0, 0, std::move(message), {}});
    return false;
  };
  auto change_of = [&](const json& c, const std::string& where) {
    std::string s = c.is_string() ? c.get<std::string>() : "";
    if (s == "any") a.change = Actionability::Change::Any;
    else if (s == "up") a.change = Actionability::Change::Up;
    else if (s == "down") a.change = Actionability::Change::Down;
    else return fail(where, "expected \"any\", \"up\" or \"down\"");
    return true;
  };
  if (def.contains("fixed_because")) {
    if (!def["fixed_because"].is_string()) return fail(".fixed_because", "expected a text saying why the field cannot change");
    a.fixed_because = def["fixed_because"].get<std::string>();
  }
  if (j.is_boolean()) {
    a.change = j.get<bool>() ? Actionability::Change::Any : Actionability::Change::Fixed;
  } else if (j.is_string() && (j == "up" || j == "down" || j == "any")) {
    change_of(j, ".actionable");
  } else if (j.is_object()) {
    a.conditional = true;
    a.change = Actionability::Change::Any;
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string& k = it.key();
      const json& v = it.value();
      if (k == "change") {
        if (!change_of(v, ".actionable.change")) return false;
      } else if (k == "while_missing" && v.is_boolean()) {
        a.while_missing = v.get<bool>();
      } else if (k == "while_below" && v.is_number()) {
        a.while_below = v.get<double>();
      } else if (k == "while_in" && v.is_array()) {
        const TypeDesc& d = kb.types.at(f.type);
        for (const json& x : v) {
          if (!x.is_string() || d.kind != TypeKind::Enum ||
              kb.enums[static_cast<std::size_t>(d.enum_id)].find(x.get<std::string>()) < 0)
            return fail(".actionable.while_in", "expected values of the field's enum, found " + x.dump());
          a.while_in.push_back(x.get<std::string>());
        }
      } else {
        return fail(".actionable." + k,
                    "expected `while_missing` (true or false), `while_below` (a number), `while_in` (a list of "
                    "values) or `change`");
      }
    }
  } else {
    return fail(".actionable", "expected true, false, \"up\", \"down\" or an object of conditions");
  }
  if (a.change == Actionability::Change::Fixed || a.conditional) {
    if (a.fixed_because.empty()) return fail(".fixed_because", "a field that is or may become fixed needs `fixed_because`");
  }
  return true;
}

bool read_fields(KnowledgeBase& kb, const json& obj, const std::string& file, const std::string& section,
                 std::vector<FieldDef>& out, std::vector<DataError>& errors) {
  if (!obj.is_object()) {
    errors.push_back({file, "$." + section, 0, 0, "expected an object of definitions", {}});
    return false;
  }
  bool ok = true;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    FieldDef f;
    f.name = it.key();
    const json& def = it.value();
    std::string err;
    auto t = def.contains("type") ? kb.parse_type(def["type"], err) : std::nullopt;
    if (!t) {
      errors.push_back({file, "$." + section + "." + f.name + ".type", 0, 0, err.empty() ? "missing type" : err, {}});
      ok = false;
      continue;
    }
    f.type = *t;
    // The bounds and the description are checked before they are read: a
    // value of another type is an error at its place, not a JSON exception.
    for (const char* bound : {"min", "max"}) {
      if (!def.contains(bound)) continue;
      if (!def[bound].is_number()) {
        errors.push_back({file, "$." + section + "." + f.name + "." + bound, 0, 0,
                          "expected a number, found " + json_kind(def[bound]) + " " + short_json(def[bound]), {}});
        ok = false;
        continue;
      }
      (std::string_view(bound) == "min" ? f.min : f.max) = def[bound].get<double>();
    }
    if (def.contains("description") && !def["description"].is_string()) {
      errors.push_back({file, "$." + section + "." + f.name + ".description", 0, 0,
                        "expected a string, found " + json_kind(def["description"]) + " " + short_json(def["description"]), {}});
      ok = false;
    } else {
      f.description = def.value("description", "");
    }
    if (def.contains("actionable") && !read_actionable(kb, def, file, "$." + section + "." + f.name, f, errors)) ok = false;
    if (def.contains("hoped_for")) {
      std::vector<DataError> errs;
      if (!kb.value_from_json(def["hoped_for"], f.type, &f, "$." + section + "." + f.name + ".hoped_for", f.hoped_for, errs)) {
        for (DataError& e : errs) {
          e.file = file;
          errors.push_back(std::move(e));
        }
        ok = false;
      }
    }
    if (section == "conclusions" && def.contains("every_report")) {
      const json& m = def["every_report"];
      std::string at = "$." + section + "." + f.name + ".every_report";
      if (m.is_boolean()) {
        f.every_report = m.get<bool>();
      } else if (m.is_object() && !m.empty() && (!m.contains("given") || m["given"].is_array()) && (!m.contains("when") || m["when"].is_object()) &&
                 m.size() == static_cast<std::size_t>(m.contains("given")) + static_cast<std::size_t>(m.contains("when"))) {
        f.every_report = true;
        if (m.contains("given"))
          for (const json& x : m["given"]) {
            if (!x.is_string()) {
              errors.push_back({file, at + ".given", 0, 0, "expected names of profile fields, found " + x.dump(), {}});
              ok = false;
              continue;
            }
            f.every_report_given.push_back(x.get<std::string>());
          }
        if (m.contains("when"))
          for (auto w = m["when"].begin(); w != m["when"].end(); ++w) {
            std::vector<std::string> values;
            if (w.value().is_array())
              for (const json& x : w.value())
                if (x.is_string()) values.push_back(x.get<std::string>());
            if (!w.value().is_array() || values.size() != w.value().size()) {
              errors.push_back({file, at + ".when." + w.key(), 0, 0,
                                "expected a list of the field's values, found " + w.value().dump(), {}});
              ok = false;
              continue;
            }
            f.every_report_when.emplace_back(w.key(), std::move(values));
          }
      } else {
        errors.push_back({file, at, 0, 0,
                          "expected true, false or {\"given\": [profile fields], \"when\": {FIELD: [values]}}, found " +
                              m.dump(),
                          {}});
        ok = false;
      }
    }
    out.push_back(std::move(f));
  }
  return ok;
}

bool is_date(const nlohmann::ordered_json& j) {
  if (!j.is_string()) return false;
  const std::string& d = j.get_ref<const std::string&>();
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (d[i] < '0' || d[i] > '9') return false;
  int month = std::stoi(d.substr(5, 2)), day = std::stoi(d.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// standards.json: {"as_of": DATE, "standards": {NAME: {"description", "source",
// "secondary"?, "values": [{"from"?: DATE, "value": NUMBER}, ...]}}}. Only the
// first value may leave out "from" (in force before the next one); dates
// increase; the value in force is the last one whose date is not after as_of.
void read_standards(KnowledgeBase& kb, const std::string& path, const std::string& text,
                    std::vector<DataError>& errors) {
  using ojson = nlohmann::ordered_json;
  auto fail = [&](const std::string& at, std::string msg) { errors.push_back({path, at, 0, 0, std::move(msg), {}}); };
  auto doc = ojson::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    std::size_t before = errors.size();
    parse_json_document(text, path, errors);
    if (errors.size() == before) fail("$", "expected an object with \"as_of\" and \"standards\"");
    return;
  }
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (it.key() != "as_of" && it.key() != "standards" && it.key() != "$comment")
      errors.push_back({path, "$." + it.key(), 0, 0, "unknown key `" + it.key() + "`",
                        did_you_mean(it.key(), {"as_of", "standards"})});
  if (!doc.contains("as_of") || !is_date(doc["as_of"])) {
    fail("$.as_of", "expected the date the standards were last checked, as \"YYYY-MM-DD\"");
    return;
  }
  kb.standards_as_of = doc["as_of"].get<std::string>();
  if (!doc.contains("standards") || !doc["standards"].is_object()) {
    fail("$.standards", "expected an object keyed by standard name");
    return;
  }
  for (auto it = doc["standards"].begin(); it != doc["standards"].end(); ++it) {
    const std::string at = "$.standards." + it.key();
    const ojson& v = it.value();
    Standard st;
    st.name = it.key();
    if (kb.field_index(st.name) >= 0 || kb.conclusion_index(st.name) >= 0) {
      fail(at, "`" + st.name + "` is already a profile field or a conclusion; give the standard another name");
      continue;
    }
    if (!v.is_object() || !v.contains("description") || !v["description"].is_string() || !v.contains("source") ||
        !v["source"].is_string()) {
      fail(at, "a standard needs \"description\" and \"source\" (strings) and \"values\"");
      continue;
    }
    st.description = v["description"].get<std::string>();
    st.source = v["source"].get<std::string>();
    if (v.contains("secondary")) {
      if (!v["secondary"].is_boolean()) {
        fail(at + ".secondary", "expected true or false");
        continue;
      }
      st.secondary = v["secondary"].get<bool>();
    }
    if (!v.contains("values") || !v["values"].is_array() || v["values"].empty()) {
      fail(at + ".values", "expected a list of {\"from\": \"YYYY-MM-DD\", \"value\": NUMBER}, oldest first");
      continue;
    }
    bool ok = true;
    const ojson& vals = v["values"];
    for (std::size_t i = 0; i < vals.size() && ok; ++i) {
      const std::string vat = at + ".values[" + std::to_string(i) + "]";
      const ojson& e = vals[i];
      Standard::Step step;
      if (!e.is_object() || !e.contains("value") || !e["value"].is_number()) {
        fail(vat, "expected {\"from\": \"YYYY-MM-DD\", \"value\": NUMBER}");
        ok = false;
      } else if (e.contains("from") && !is_date(e["from"])) {
        fail(vat + ".from", "expected a date as \"YYYY-MM-DD\"");
        ok = false;
      } else if (!e.contains("from") && i > 0) {
        fail(vat, "only the first value may leave out \"from\"; say when this one took effect");
        ok = false;
      } else {
        step.value = e["value"].get<double>();
        if (e.contains("from")) step.from = e["from"].get<std::string>();
        if (i > 0 && !st.history.back().from.empty() && step.from <= st.history.back().from) {
          fail(vat + ".from", "dates must increase: " + step.from + " is not after " + st.history.back().from);
          ok = false;
        }
        st.history.push_back(step);
      }
    }
    if (!ok) continue;
    bool found = false;
    for (std::size_t i = 0; i < st.history.size(); ++i)
      if (st.history[i].from.empty() || st.history[i].from <= kb.standards_as_of) {
        st.in_force = i;
        found = true;
      }
    if (!found) {
      fail(at + ".values", "no value is in force on " + kb.standards_as_of + " (`as_of`); give the first one no \"from\" or an earlier date");
      continue;
    }
    kb.standards.push_back(std::move(st));
  }
}

}  // namespace

// Each value is checked for its type before it is read; a value this loader
// still reads without a check, of the wrong type, is reported here (with
// nlohmann's error number, never its message) rather than escaping as an
// exception.
std::optional<KnowledgeBase> load_knowledge_base(const std::string& directory, std::vector<DataError>& errors) try {
  KnowledgeBase kb;
  kb.directory = directory;
  std::size_t before = errors.size();
  const std::string schema_path = directory + "/schema.json";
  const std::string spec_path = directory + "/specialties.json";
  const std::string fig_path = directory + "/figures.json";
  auto schema_text = read_text(schema_path, errors);
  auto spec_text = read_text(spec_path, errors);
  auto fig_text = read_text(fig_path, errors);
  if (!schema_text || !spec_text || !fig_text) return std::nullopt;
  auto schema = parse_json_document(*schema_text, schema_path, errors);
  auto specs = nlohmann::ordered_json::parse(*spec_text, nullptr, false);
  auto figs = nlohmann::ordered_json::parse(*fig_text, nullptr, false);
  if (!schema) return std::nullopt;
  if (specs.is_discarded() || !specs.is_object()) {
    parse_json_document(*spec_text, spec_path, errors);
    if (errors.size() == before) errors.push_back({spec_path, "$", 0, 0, "expected an object keyed by specialty id", {}});
    return std::nullopt;
  }
  if (figs.is_discarded() || !figs.is_object()) {
    parse_json_document(*fig_text, fig_path, errors);
    if (errors.size() == before) errors.push_back({fig_path, "$", 0, 0, "expected an object keyed by figure id", {}});
    return std::nullopt;
  }
  // Enums: the schema's, in order, then `specialty` and `figure` from the data files.
  // schema.json is parsed unordered; read enum order from an ordered parse.
  auto ordered = nlohmann::ordered_json::parse(*schema_text, nullptr, false);
  for (auto it = ordered["enums"].begin(); it != ordered["enums"].end(); ++it) {
    EnumDef e{it.key(), it.value().get<std::vector<std::string>>(), {}};
    kb.enums.push_back(std::move(e));
  }
  EnumDef spec_enum{"specialty", {}, {}};
  for (auto it = specs.begin(); it != specs.end(); ++it) spec_enum.values.push_back(it.key());
  kb.enums.push_back(spec_enum);
  EnumDef fig_enum{"figure", {}, {}};
  for (auto it = figs.begin(); it != figs.end(); ++it) fig_enum.values.push_back(it.key());
  kb.enums.push_back(fig_enum);
  kb.index();
  kb.specialty_enum = kb.enum_index("specialty");
  kb.figure_enum = kb.enum_index("figure");
  kb.category_enum = kb.enum_index("category");
  kb.class_enum = kb.enum_index("specialty_class");
  if (kb.category_enum < 0 || kb.class_enum < 0)
    errors.push_back({schema_path, "$.enums", 0, 0, "the schema must define the enums `category` and `specialty_class`", {}});

  auto reorder = [&](const char* section) {
    // Field order is the schema's order, so that reports list them as written.
    json out = json::array();
    for (auto it = ordered[section].begin(); it != ordered[section].end(); ++it) out.push_back(it.key());
    return out;
  };
  auto read_section = [&](const char* section, std::vector<FieldDef>& dest) {
    std::vector<FieldDef> tmp;
    read_fields(kb, (*schema)[section], schema_path, section, tmp, errors);
    for (const auto& name : reorder(section))
      for (auto& f : tmp)
        if (f.name == name.get<std::string>()) dest.push_back(f);
  };
  read_section("fields", kb.fields);
  read_section("conclusions", kb.conclusions);
  read_section("specialty_attributes", kb.specialty_attributes);
  kb.index();
  // `every_report.given` names profile fields.
  {
    std::vector<std::string> names;
    for (const FieldDef& fd : kb.fields) names.push_back(fd.name);
    for (const FieldDef& c : kb.conclusions)
      for (std::size_t i = 0; i < c.every_report_given.size(); ++i)
        if (std::find(names.begin(), names.end(), c.every_report_given[i]) == names.end())
          errors.push_back({schema_path, "$.conclusions." + c.name + ".every_report.given[" + std::to_string(i) + "]", 0,
                            0, "unknown profile field `" + c.every_report_given[i] + "`",
                            did_you_mean(c.every_report_given[i], names)});
    for (const FieldDef& c : kb.conclusions)
      for (const auto& [field, values] : c.every_report_when) {
        std::string at = "$.conclusions." + c.name + ".every_report.when." + field;
        auto fi = std::find(names.begin(), names.end(), field);
        if (fi == names.end()) {
          errors.push_back({schema_path, at, 0, 0, "unknown profile field `" + field + "`", did_you_mean(field, names)});
          continue;
        }
        const TypeDesc& t = kb.types.at(kb.fields[static_cast<std::size_t>(fi - names.begin())].type);
        if (t.kind != TypeKind::Enum) {
          errors.push_back({schema_path, at, 0, 0, "`when` takes fields with a fixed set of values; `" + field + "` has none", {}});
          continue;
        }
        const EnumDef& en = kb.enums[static_cast<std::size_t>(t.enum_id)];
        for (const std::string& v : values)
          if (en.find(v) < 0) errors.push_back({schema_path, at, 0, 0, "`" + v + "` is not a value of `" + field + "`", did_you_mean(v, en.values)});
      }
  }

  // Specialties.
  for (auto it = specs.begin(); it != specs.end(); ++it) {
    Specialty s;
    s.id = it.key();
    s.attributes.resize(kb.specialty_attributes.size());
    json row(it.value());
    if (!row.is_object()) {
      errors.push_back({spec_path, "$." + s.id, 0, 0, "a specialty is an object of its attributes", {}});
      continue;
    }
    // Every attribute of the schema is required: a missing one would make
    // the rules that read it silently find nothing.
    for (const FieldDef& def : kb.specialty_attributes)
      if (!row.contains(def.name))
        errors.push_back({spec_path, "$." + s.id, 0, 0,
                          "the specialty `" + s.id + "` has no `" + def.name + "` (" + kb.type_name(def.type) +
                              "); every specialty needs each attribute of `specialty_attributes` in schema.json "
                              "(`null` when it has none)",
                          {}});
    for (auto a = row.begin(); a != row.end(); ++a) {
      if (a.key() == "source") {
        if (!a.value().is_string()) {
          errors.push_back({spec_path, "$." + s.id + ".source", 0, 0, "`source` is a text", {}});
          continue;
        }
        s.source = a.value().get<std::string>();
        continue;
      }
      int idx = kb.attribute_index(a.key());
      std::string path = "$." + s.id + "." + a.key();
      if (idx < 0) {
        std::vector<std::string> names;
        for (const auto& f : kb.specialty_attributes) names.push_back(f.name);
        errors.push_back({spec_path, path, 0, 0, "unknown attribute `" + a.key() + "`", did_you_mean(a.key(), names)});
        continue;
      }
      // null: the attribute is known to have no value for this specialty
      // (the guide gives none): it stays missing, and the rules see that.
      if (a.value().is_null()) continue;
      std::vector<DataError> errs;
      const FieldDef& def = kb.specialty_attributes[static_cast<std::size_t>(idx)];
      if (!kb.value_from_json(a.value(), def.type, &def, path, s.attributes[static_cast<std::size_t>(idx)], errs)) {
        for (auto& e : errs) {
          e.file = spec_path;
          errors.push_back(e);
        }
      }
    }
    kb.specialties.push_back(std::move(s));
  }
  // Figures.
  for (auto it = figs.begin(); it != figs.end(); ++it) {
    Figure f;
    f.id = it.key();
    const auto& v = it.value();
    if (!v.is_object() || !v.contains("text") || !v.contains("source") || !v.contains("year") ||
        !v["text"].is_string() || !v["source"].is_string() || !v["year"].is_number_integer()) {
      errors.push_back({fig_path, "$." + f.id, 0, 0,
                        "a figure needs \"text\" and \"source\" (texts) and \"year\" (a whole number)", {}});
      continue;
    }
    f.text = v["text"].get<std::string>();
    f.source = v["source"].get<std::string>();
    f.year = v["year"].get<int>();
    f.secondary = v.value("secondary", false);
    kb.figures.push_back(std::move(f));
  }
  // Display names (schema.json `labels`); the specialties' default to their `name`.
  int name_attr = kb.attribute_index("name");
  for (EnumDef& e : kb.enums) e.labels.assign(e.values.size(), "");
  if (kb.specialty_enum >= 0 && name_attr >= 0)
    for (std::size_t i = 0; i < kb.specialties.size(); ++i) {
      const Value& v = kb.specialties[i].attributes[static_cast<std::size_t>(name_attr)];
      if (v.kind == Value::Kind::Text) kb.enums[static_cast<std::size_t>(kb.specialty_enum)].labels[i] = *v.text;
    }
  if (ordered.contains("labels")) {
    const auto& labels = ordered["labels"];
    auto text_of = [&](const auto& j, const std::string& path, std::string& out) {
      if (!j.is_string() || j.template get<std::string>().empty()) {
        errors.push_back({schema_path, path, 0, 0, "a display name is a non-empty string", {}});
        return false;
      }
      out = j.template get<std::string>();
      return true;
    };
    if (labels.contains("enums"))
      for (auto it = labels["enums"].begin(); it != labels["enums"].end(); ++it) {
        int e = kb.enum_index(it.key());
        std::string path = "$.labels.enums." + it.key();
        if (e < 0) {
          std::vector<std::string> names;
          for (const EnumDef& d : kb.enums) names.push_back(d.name);
          errors.push_back({schema_path, path, 0, 0, "no enum is called `" + it.key() + "`", did_you_mean(it.key(), names)});
          continue;
        }
        EnumDef& def = kb.enums[static_cast<std::size_t>(e)];
        for (auto v = it.value().begin(); v != it.value().end(); ++v) {
          int i = def.find(v.key());
          if (i < 0) {
            errors.push_back({schema_path, path + "." + v.key(), 0, 0, "`" + v.key() + "` is not a " + def.name + " value",
                              did_you_mean(v.key(), def.values)});
            continue;
          }
          text_of(v.value(), path + "." + v.key(), def.labels[static_cast<std::size_t>(i)]);
        }
      }
    auto slot_labels = [&](const char* section, std::vector<FieldDef>& defs) {
      if (!labels.contains(section)) return;
      for (auto it = labels[section].begin(); it != labels[section].end(); ++it) {
        std::string path = std::string("$.labels.") + section + "." + it.key();
        auto f = std::find_if(defs.begin(), defs.end(), [&](const FieldDef& d) { return d.name == it.key(); });
        if (f == defs.end()) {
          std::vector<std::string> names;
          for (const FieldDef& d : defs) names.push_back(d.name);
          errors.push_back({schema_path, path, 0, 0, "no " + std::string(section == std::string("fields") ? "profile field" : "conclusion") +
                                                         " is called `" + it.key() + "`",
                            did_you_mean(it.key(), names)});
          continue;
        }
        text_of(it.value(), path, f->label);
      }
    };
    slot_labels("fields", kb.fields);
    slot_labels("conclusions", kb.conclusions);
  }
  // Aliases.
  if (ordered.contains("aliases")) {
    for (auto it = ordered["aliases"].begin(); it != ordered["aliases"].end(); ++it) {
      std::string target = it.value().get<std::string>();
      if (kb.field_index(target) < 0 && kb.conclusion_index(target) < 0) {
        errors.push_back({schema_path, "$.aliases." + it.key(), 0, 0, "`" + target + "` is neither a field nor a conclusion", {}});
        continue;
      }
      kb.aliases.emplace_back(it.key(), target);
    }
  }
  // Groups by class.
  int class_attr = kb.attribute_index("class");
  if (kb.class_enum >= 0 && class_attr >= 0) {
    const EnumDef& classes = kb.enums[static_cast<std::size_t>(kb.class_enum)];
    for (std::size_t c = 0; c < classes.values.size(); ++c) {
      ValueList members;
      for (std::size_t s = 0; s < kb.specialties.size(); ++s) {
        const Value& v = kb.specialties[s].attributes[static_cast<std::size_t>(class_attr)];
        if (v.kind == Value::Kind::Symbol && v.sym == static_cast<int>(c))
          members.push_back(Value::symbol(kb.specialty_enum, static_cast<int>(s)));
      }
      kb.groups.emplace_back(classes.values[c], Value::list(std::move(members)));
    }
  }
  // Standards with effective dates: optional.
  const std::string std_path = directory + "/standards.json";
  if (std::ifstream probe(std_path); probe) {
    if (auto std_text = read_text(std_path, errors)) read_standards(kb, std_path, *std_text, errors);
  }
  if (errors.size() > before) {
    locate_data_errors(*schema_text, schema_path, errors, before);
    locate_data_errors(*spec_text, spec_path, errors, before);
    locate_data_errors(*fig_text, fig_path, errors, before);
    return std::nullopt;
  }
  return kb;
} catch (const nlohmann::json::exception& e) {
  errors.push_back({directory, "", 0, 0,
                    "a value in the knowledge base has a type it cannot have (JSON error " + std::to_string(e.id) +
                        "); compare the files with the bundled kb/",
                    {}});
  return std::nullopt;
}

}  // namespace advise

namespace advise {

std::string KnowledgeBase::slot_label(std::string_view name) const {
  for (const auto* defs : {&fields, &conclusions})
    for (const FieldDef& f : *defs)
      if (f.name == name) return f.label.empty() ? f.name : f.label;
  return std::string(name);
}

std::string KnowledgeBase::conclusion_label(std::string_view name) const {
  for (const FieldDef& f : conclusions)
    if (f.name == name) return f.label.empty() ? f.name : f.label;
  return std::string(name);
}

std::vector<DataError> KnowledgeBase::missing_labels() const {
  std::vector<DataError> out;
  const std::string file = directory + "/schema.json";
  for (const EnumDef& e : enums) {
    if (e.name == "figure") continue;
    for (std::size_t i = 0; i < e.values.size(); ++i)
      if (i >= e.labels.size() || e.labels[i].empty())
        out.push_back({e.name == "specialty" ? directory + "/specialties.json" : file,
                       e.name == "specialty" ? "$." + e.values[i] + ".name" : "$.labels.enums." + e.name + "." + e.values[i], 0, 0,
                       "the " + e.name + " value `" + e.values[i] + "` has no display name; applicants would read the id",
                       std::nullopt});
  }
  for (const auto& [section, defs] : {std::pair{"fields", &fields}, std::pair{"conclusions", &conclusions}})
    for (const FieldDef& f : *defs)
      if (f.label.empty())
        out.push_back({file, std::string("$.labels.") + section + "." + f.name, 0, 0,
                       std::string(section == std::string("fields") ? "the profile field" : "the conclusion") + " `" + f.name +
                           "` has no display name; applicants would read the id",
                       std::nullopt});
  return out;
}

}  // namespace advise
