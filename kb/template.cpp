#include "kb/template.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "kb/limits.hpp"
#include "kb/suggest.hpp"

namespace advise {

using nlohmann::ordered_json;

int TemplateDef::field_index(std::string_view field) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].def.name == field) return static_cast<int>(i);
  return -1;
}

std::vector<std::string> TemplateDef::given_names() const {
  std::vector<std::string> out;
  for (const TemplateField& f : fields)
    if (!f.derived_only()) out.push_back(f.def.name);
  return out;
}

int TemplateSet::find(std::string_view name) const {
  for (std::size_t i = 0; i < templates.size(); ++i)
    if (templates[i].name == name) return static_cast<int>(i);
  return -1;
}

std::vector<std::string> TemplateSet::names() const {
  std::vector<std::string> out;
  for (const TemplateDef& t : templates) out.push_back(t.name);
  return out;
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Walks JSON text that has already been parsed (so it is well formed).
struct Walker {
  const std::string& t;
  std::size_t i = 0;
  bool more() const { return i < t.size(); }
  void blanks() {
    while (more() && is_blank(t[i])) ++i;
  }
  void string() {  // at '"'
    ++i;
    while (more() && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
    if (more()) ++i;
  }
  void value() {
    if (!more()) return;
    if (t[i] == '"') return string();
    if (t[i] == '{' || t[i] == '[') {
      std::size_t depth = 0;
      while (more()) {
        char c = t[i];
        if (c == '"') {
          string();
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        ++i;
        if ((c == '}' || c == ']') && --depth == 0) return;
      }
      return;
    }
    while (more() && !is_blank(t[i]) && t[i] != ',' && t[i] != ']' && t[i] != '}') ++i;
  }
};

bool plain_name(const std::string& k) {
  if (k.empty() || !(std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_')) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string path_text(const std::vector<std::string>& steps) {
  std::string p = "$";
  for (const std::string& s : steps) {
    if (!s.empty() && s[0] == '[') {
      p += s;
    } else if (plain_name(s)) {
      p += "." + s;
    } else {
      p += "[" + ordered_json(s).dump(-1, ' ', false, ordered_json::error_handler_t::replace) + "]";
    }
  }
  return p;
}

std::optional<std::string> read_whole(const std::string& path, std::size_t limit, std::string& error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error = "cannot read the file";
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  if (s.size() > limit) {
    error = size_limit_message("the file", s.size(), "it", limit);
    return std::nullopt;
  }
  return s;
}

// A template's scalar type: a primitive name, an enum the templates file
// declares, or an enum of the knowledge base.
std::optional<TypeId> scalar_type(KnowledgeBase& kb, const std::vector<std::pair<std::string, int>>& local,
                                  const ordered_json& j, std::string& error) {
  if (!j.is_string()) {
    error = "a template field's type is a name: integer, number, boolean, string or an enum (a template field holds "
            "one value, not a list or a map)";
    return std::nullopt;
  }
  std::string n = j.get<std::string>();
  if (n == "integer") return kb.types.integer();
  if (n == "number") return kb.types.number();
  if (n == "boolean") return kb.types.boolean();
  if (n == "string") return kb.types.string();
  for (const auto& [name, id] : local)
    if (name == n) return kb.types.enum_type(id);
  int e = kb.enum_index(n);
  if (e >= 0) return kb.types.enum_type(e);
  error = "unknown type `" + n + "` (integer, number, boolean, string or an enum)";
  return std::nullopt;
}

class TemplatesReader {
 public:
  TemplatesReader(const std::string& text, const std::string& file, KnowledgeBase& kb,
                  std::vector<DataError>& errors)
      : text_(text), file_(file), kb_(kb), errors_(errors) {}

  bool read(TemplateSet& out) {
    std::size_t before = errors_.size();
    if (text_.size() > kMaxTemplatesBytes) {
      errors_.push_back({file_, "", 0, 0,
                         size_limit_message("the templates file", text_.size(), "a templates file",
                                            kMaxTemplatesBytes),
                         {}});
      return false;
    }
    if (!parse_json_document(text_, file_, errors_)) return false;
    ordered_json doc = ordered_json::parse(text_, nullptr, false);
    if (!doc.is_object()) {
      fail({}, "expected an object with `enums` and `templates`");
      return false;
    }
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& k = it.key();
      if (!k.empty() && k[0] == '$') continue;
      if (k != "enums" && k != "templates")
        fail({k}, "unknown key `" + k + "` (a templates file holds `enums` and `templates`; keys starting with `$` are comments)",
             did_you_mean(k, {"enums", "templates"}), true);
    }
    if (doc.contains("enums")) read_enums(doc["enums"]);
    std::vector<TemplateDef> made;
    if (!doc.contains("templates") || !doc["templates"].is_object()) {
      fail(doc.contains("templates") ? std::vector<std::string>{"templates"} : std::vector<std::string>{},
           "expected `templates`: an object of templates keyed by name");
    } else {
      const ordered_json& ts = doc["templates"];
      for (auto it = ts.begin(); it != ts.end(); ++it) {
        if (!it.key().empty() && it.key()[0] == '$') continue;
        if (auto t = read_template(it.key(), it.value())) {
          if (t->name == kSpecialtyTemplate)
            fail({"templates", t->name},
                 "`specialty` is the knowledge base's template of its specialties (kb/specialties.json); choose "
                 "another name",
                 {}, true);
          else if (out.find(t->name) >= 0)
            fail({"templates", t->name}, "the template `" + t->name + "` is already declared", {}, true);
          else
            made.push_back(std::move(*t));
        }
      }
    }
    if (errors_.size() > before) {
      // In document order, as profile problems are.
      std::stable_sort(errors_.begin() + static_cast<std::ptrdiff_t>(before), errors_.end(),
                       [](const DataError& a, const DataError& b) {
                         return std::pair(a.line, a.column) < std::pair(b.line, b.column);
                       });
      return false;
    }
    for (TemplateDef& t : made) out.templates.push_back(std::move(t));
    return true;
  }

 private:
  std::nullopt_t fail(const std::vector<std::string>& steps, std::string message,
                      std::optional<std::string> suggestion = std::nullopt, bool at_key = false) {
    auto [line, col] = locate_json_path(text_, steps, at_key);
    errors_.push_back({file_, path_text(steps), line, col, std::move(message), std::move(suggestion)});
    return std::nullopt;
  }

  // A section of a kb table (census_divisions.json "states"), in file order.
  std::optional<ordered_json> table_section(const std::vector<std::string>& at, const ordered_json& table,
                                            const ordered_json& section) {
    if (!table.is_string() || !section.is_string())
      return fail(at, "expected a table file name and a section name");
    std::string name = table.get<std::string>();
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name.rfind("..", 0) == 0)
      return fail(at, "a table is a file of the knowledge-base directory, named without a directory");
    std::string path = kb_.directory + "/" + name, why;
    auto text = read_whole(path, kMaxTemplatesBytes, why);
    if (!text) return fail(at, "cannot read the table `" + name + "`: " + why);
    ordered_json doc = ordered_json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return fail(at, "the table `" + name + "` is not a JSON object");
    std::string s = section.get<std::string>();
    if (!doc.contains(s) || !doc[s].is_object()) {
      std::vector<std::string> keys;
      for (auto it = doc.begin(); it != doc.end(); ++it)
        if (it.value().is_object()) keys.push_back(it.key());
      return fail(at, "the table `" + name + "` has no section `" + s + "` (an object)", did_you_mean(s, keys));
    }
    return doc[s];
  }

  void read_enums(const ordered_json& enums) {
    if (!enums.is_object()) {
      fail({"enums"}, "expected an object of enums keyed by name");
      return;
    }
    for (auto it = enums.begin(); it != enums.end(); ++it) {
      const std::string& name = it.key();
      if (!name.empty() && name[0] == '$') continue;
      std::vector<std::string> at{"enums", name};
      if (!plain_name(name)) {
        fail(at, "an enum name is a word of letters, digits and `_`", {}, true);
        continue;
      }
      if (kb_.enum_index(name) >= 0 || local_index(name) >= 0) {
        fail(at, "the enum `" + name + "` is already defined", {}, true);
        continue;
      }
      EnumDef e{name, {}, {}};
      const ordered_json& v = it.value();
      if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
          if (!v[i].is_string() || !plain_name(v[i].get<std::string>())) {
            fail({"enums", name, "[" + std::to_string(i) + "]"},
                 "an enum value is a word of letters, digits and `_`");
            continue;
          }
          e.values.push_back(v[i].get<std::string>());
        }
      } else if (v.is_object() && v.contains("table") && v.contains("keys") && v["keys"].is_array() && v.size() == 2) {
        for (const auto& section : v["keys"]) {
          auto s = table_section(at, v["table"], section);
          if (!s) break;
          for (auto k = s->begin(); k != s->end(); ++k) e.values.push_back(k.key());
        }
      } else {
        fail(at, "an enum is a list of values, or {\"table\": FILE, \"keys\": [SECTION, ...]} (the keys of sections of a "
                 "kb table)");
        continue;
      }
      std::set<std::string> seen;
      for (const std::string& x : e.values)
        if (!seen.insert(x).second) fail(at, "the value `" + x + "` appears twice in the enum `" + name + "`");
      if (e.values.empty()) fail(at, "the enum `" + name + "` has no values");
      local_.emplace_back(name, static_cast<int>(kb_.enums.size()));
      kb_.enums.push_back(std::move(e));
    }
  }

  int local_index(const std::string& name) const {
    for (const auto& [n, id] : local_)
      if (n == name) return id;
    return -1;
  }

  std::optional<TemplateDef> read_template(const std::string& name, const ordered_json& j) {
    std::vector<std::string> at{"templates", name};
    if (!plain_name(name)) return fail(at, "a template name is a word of letters, digits and `_`", {}, true);
    if (!j.is_object()) return fail(at, "expected a template: an object with `doc`, `fields` and `key`");
    static const std::vector<std::string> attributes{"doc", "key", "fields", "checks"};
    std::size_t before = errors_.size();
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it.key().empty() || it.key()[0] != '$')
        if (std::find(attributes.begin(), attributes.end(), it.key()) == attributes.end())
          fail({"templates", name, it.key()}, "unknown template attribute `" + it.key() + "` (doc, fields, key, checks)",
               did_you_mean(it.key(), attributes), true);
    TemplateDef t;
    t.name = name;
    t.file = file_;
    if (!j.contains("doc") || !j["doc"].is_string() || j["doc"].get<std::string>().empty())
      fail(j.contains("doc") ? std::vector<std::string>{"templates", name, "doc"} : at,
           "a template needs `doc`: a line saying what one record is");
    else
      t.doc = j["doc"].get<std::string>();
    if (!j.contains("fields") || !j["fields"].is_object() || j["fields"].empty())
      return fail(j.contains("fields") ? std::vector<std::string>{"templates", name, "fields"} : at,
                  "a template needs `fields`: an object of fields keyed by name");
    const ordered_json& fields = j["fields"];
    for (auto it = fields.begin(); it != fields.end(); ++it) {
      if (!it.key().empty() && it.key()[0] == '$') continue;
      if (auto f = read_field(name, it.key(), it.value(), t)) t.fields.push_back(std::move(*f));
    }
    // Derivations name fields that may come later in the file.
    for (std::size_t i = 0; i < t.fields.size(); ++i) {
      auto it = fields.find(t.fields[i].def.name);
      if (it != fields.end() && it->contains("derive")) read_derive(t, i, (*it)["derive"]);
    }
    // The `none` flags, after the fields a record gives.
    std::size_t given = t.fields.size();
    for (std::size_t i = 0; i < given; ++i) {
      if (!t.fields[i].accepts_none) continue;
      TemplateField flag;
      flag.def.name = t.fields[i].def.name + "_none";
      flag.def.type = kb_.types.boolean();
      flag.def.description = "the record states `none` for `" + t.fields[i].def.name + "`";
      flag.display = t.fields[i].display + ": none";
      flag.none_of = static_cast<std::int32_t>(i);
      if (t.field_index(flag.def.name) >= 0) {
        fail({"templates", name, "fields", flag.def.name},
             "`" + flag.def.name + "` is the field that records `none` for `" + t.fields[i].def.name +
                 "`; name this field otherwise",
             {}, true);
        continue;
      }
      t.fields[i].none_flag = static_cast<std::int32_t>(t.fields.size());
      t.fields.push_back(std::move(flag));
    }
    if (t.fields.size() > kMaxTemplateFields)
      fail({"templates", name, "fields"}, "the template has " + std::to_string(t.fields.size()) +
                                              " fields (with the `_none` flags); a template may have at most " +
                                              std::to_string(kMaxTemplateFields));
    if (j.contains("key")) {
      const ordered_json& key = j["key"];
      if (!key.is_array() || key.empty()) {
        fail({"templates", name, "key"}, "expected a list of the fields that name a record, like [\"program_id\"]");
      } else {
        for (std::size_t i = 0; i < key.size(); ++i) {
          std::vector<std::string> kat{"templates", name, "key", "[" + std::to_string(i) + "]"};
          int idx = key[i].is_string() ? t.field_index(key[i].get<std::string>()) : -1;
          if (idx < 0 || t.fields[static_cast<std::size_t>(idx)].derived_only()) {
            fail(kat, "expected the name of a field of `" + name + "`",
                 key[i].is_string() ? did_you_mean(key[i].get<std::string>(), t.given_names()) : std::nullopt);
            continue;
          }
          if (!t.fields[static_cast<std::size_t>(idx)].required)
            fail(kat, "a key field must be required (`\"required\": true`): a record without its key cannot be named");
          t.key.push_back(idx);
        }
      }
    }
    if (j.contains("checks")) read_checks(t, j["checks"]);
    if (errors_.size() > before) return std::nullopt;
    return t;
  }

  // The rules across fields (TemplateCheck).
  void read_checks(TemplateDef& t, const ordered_json& j) {
    std::vector<std::string> base{"templates", t.name, "checks"};
    if (!j.is_array()) {
      fail(base, "expected a list of checks, like [{\"at_most\": [\"a\", \"b\"]}]");
      return;
    }
    static const std::vector<std::string> kinds{"at_most", "needs", "allowed", "code"};
    for (std::size_t n = 0; n < j.size(); ++n) {
      std::vector<std::string> at = base;
      at.push_back("[" + std::to_string(n) + "]");
      auto sub = [&](const std::string& attr) {
        std::vector<std::string> p = at;
        p.push_back(attr);
        return p;
      };
      const ordered_json& c = j[n];
      if (!c.is_object()) {
        fail(at, "expected a check: an object with one of at_most, needs, allowed, code");
        continue;
      }
      TemplateCheck k;
      std::string kind;
      bool two = false;
      for (const std::string& name : kinds)
        if (c.contains(name) && !two) {
          if (!kind.empty()) {
            fail(sub(name), "a check has one of at_most, needs, allowed, code; this one has `" + kind + "` too");
            two = true;
          }
          kind = name;
        }
      if (two) continue;
      if (kind.empty()) {
        fail(at, "a check needs one of at_most, needs, allowed, code");
        continue;
      }
      std::vector<std::string> attrs{kind, "why", "warning"};
      if (kind == "needs") attrs.push_back("when");
      if (kind == "allowed") attrs.insert(attrs.end(), {"by", "values"});
      if (kind == "code") attrs.insert(attrs.end(), {"digits", "of", "table", "map"});
      bool bad = false;
      for (auto it = c.begin(); it != c.end(); ++it)
        if ((it.key().empty() || it.key()[0] != '$') && std::find(attrs.begin(), attrs.end(), it.key()) == attrs.end()) {
          std::string list;
          for (const std::string& a : attrs) list += (list.empty() ? "" : ", ") + a;
          fail(sub(it.key()), "unknown attribute `" + it.key() + "` of a `" + kind + "` check (" + list + ")",
               did_you_mean(it.key(), attrs), true);
          bad = true;
        }
      if (c.contains("why")) {
        if (c["why"].is_string())
          k.why = c["why"].get<std::string>();
        else
        {
          fail(sub("why"), "expected a text for `why`");
          bad = true;
        }
      }
      if (c.contains("warning")) {
        if (c["warning"].is_boolean())
          k.warning = c["warning"].get<bool>();
        else
        {
          fail(sub("warning"), "expected true or false for `warning`");
          bad = true;
        }
      }
      // A field of the template, by name; -1 (reported) when not.
      auto field = [&](const std::vector<std::string>& where, const ordered_json& v, bool numeric = false,
                       bool enumerated = false) -> std::int32_t {
        int idx = v.is_string() ? t.field_index(v.get<std::string>()) : -1;
        if (idx < 0 || t.fields[static_cast<std::size_t>(idx)].derived_only()) {
          fail(where, "expected the name of a field of `" + t.name + "`",
               v.is_string() ? did_you_mean(v.get<std::string>(), t.given_names()) : std::nullopt);
          return -1;
        }
        TypeKind tk = kb_.types.at(t.fields[static_cast<std::size_t>(idx)].def.type).kind;
        if (numeric && tk != TypeKind::Integer && tk != TypeKind::Number) {
          fail(where, "`" + v.get<std::string>() + "` is not a number field");
          return -1;
        }
        if (enumerated && tk != TypeKind::Enum) {
          fail(where, "`" + v.get<std::string>() + "` is not an enum field");
          return -1;
        }
        return idx;
      };
      if (kind == "at_most") {
        k.kind = TemplateCheck::Kind::AtMost;
        const ordered_json& v = c["at_most"];
        if (!v.is_array() || v.size() != 2) {
          fail(sub("at_most"), "expected two number fields, [A, B]: A is at most B");
          continue;
        }
        k.field = field({at[0], at[1], at[2], at[3], "at_most", "[0]"}, v[0], true);
        k.others.push_back(field({at[0], at[1], at[2], at[3], "at_most", "[1]"}, v[1], true));
      } else if (kind == "needs") {
        k.kind = TemplateCheck::Kind::Needs;
        k.field = field(sub("needs"), c["needs"]);
        if (!c.contains("when") || !c["when"].is_array() || c["when"].empty()) {
          fail(c.contains("when") ? sub("when") : at, "a `needs` check needs `when`: a list of fields");
          continue;
        }
        for (std::size_t i = 0; i < c["when"].size(); ++i)
          k.others.push_back(field({at[0], at[1], at[2], at[3], "when", "[" + std::to_string(i) + "]"}, c["when"][i]));
      } else if (kind == "allowed") {
        k.kind = TemplateCheck::Kind::Allowed;
        k.field = field(sub("allowed"), c["allowed"], false, true);
        if (!c.contains("by") || !c.contains("values") || !c["values"].is_object()) {
          fail(at, "an `allowed` check needs `by` (an enum field) and `values` (an object of lists keyed by its values)");
          continue;
        }
        std::int32_t by = field(sub("by"), c["by"], false, true);
        k.others.push_back(by);
        if (k.field < 0 || by < 0) continue;
        const EnumDef& be = kb_.enums[static_cast<std::size_t>(kb_.types.at(t.fields[static_cast<std::size_t>(by)].def.type).enum_id)];
        const EnumDef& fe = kb_.enums[static_cast<std::size_t>(kb_.types.at(t.fields[static_cast<std::size_t>(k.field)].def.type).enum_id)];
        auto list = [&](const std::string& key, const ordered_json& v) {
          std::vector<std::int32_t> out;
          std::vector<std::string> where{at[0], at[1], at[2], at[3], "values", key};
          if (!v.is_array() || v.empty()) {
            fail(where, "expected a list of " + fe.name + " values");
            return out;
          }
          for (const auto& x : v) {
            int s = x.is_string() ? fe.find(x.get<std::string>()) : -1;
            if (s < 0) {
              fail(where, "expected a list of " + fe.name + " values, found " + x.dump(),
                   x.is_string() ? did_you_mean(x.get<std::string>(), fe.values) : std::nullopt);
              continue;
            }
            out.push_back(s);
          }
          return out;
        };
        std::vector<std::int32_t> rest;
        std::vector<bool> given(be.values.size(), false);
        k.allowed.assign(be.values.size(), {});
        for (auto it = c["values"].begin(); it != c["values"].end(); ++it) {
          if (it.key() == "*") {
            rest = list(it.key(), it.value());
            continue;
          }
          int s = be.find(it.key());
          if (s < 0) {
            fail({at[0], at[1], at[2], at[3], "values", it.key()}, "`" + it.key() + "` is not a " + be.name +
                 " value (or `*`, every other one)", did_you_mean(it.key(), be.values), true);
            continue;
          }
          k.allowed[static_cast<std::size_t>(s)] = list(it.key(), it.value());
          given[static_cast<std::size_t>(s)] = true;
        }
        for (std::size_t s = 0; s < given.size(); ++s)
          if (!given[s]) k.allowed[s] = rest;
      } else {
        k.kind = TemplateCheck::Kind::Code;
        k.field = field(sub("code"), c["code"]);
        if (k.field >= 0 && t.fields[static_cast<std::size_t>(k.field)].format != TextFormat::Digits) {
          fail(sub("code"), "a `code` check reads a field of `digits`");
          continue;
        }
        const ordered_json& d = c.contains("digits") ? c["digits"] : ordered_json();
        if (!d.is_array() || d.size() != 2 || !d[0].is_number_unsigned() || !d[1].is_number_unsigned() ||
            d[0].get<std::size_t>() < 1 || d[1].get<std::size_t>() < 1 ||
            (k.field >= 0 && d[0].get<std::size_t>() + d[1].get<std::size_t>() - 1 >
                                 static_cast<std::size_t>(t.fields[static_cast<std::size_t>(k.field)].digits))) {
          fail(c.contains("digits") ? sub("digits") : at,
               "expected `digits`: [first, count], the digits of the code (the first digit is 1)");
          continue;
        }
        k.digit_from = d[0].get<std::size_t>() - 1;
        k.digit_count = d[1].get<std::size_t>();
        if (!c.contains("of")) {
          fail(at, "a `code` check needs `of`: the enum field whose code the digits are");
          continue;
        }
        std::int32_t of = field(sub("of"), c["of"], false, true);
        k.others.push_back(of);
        if (of < 0 || k.field < 0) continue;
        auto section = table_section(at, c.contains("table") ? c["table"] : ordered_json(),
                                     c.contains("map") ? c["map"] : ordered_json());
        if (!section) continue;
        const EnumDef& oe = kb_.enums[static_cast<std::size_t>(kb_.types.at(t.fields[static_cast<std::size_t>(of)].def.type).enum_id)];
        k.codes.assign(oe.values.size(), "");
        for (auto it = section->begin(); it != section->end(); ++it) {
          int s = oe.find(it.key());
          bool ok = s >= 0 && it.value().is_string() && it.value().get_ref<const std::string&>().size() == k.digit_count;
          if (ok)
            for (char ch : it.value().get_ref<const std::string&>()) ok = ok && ch >= '0' && ch <= '9';
          if (!ok) {
            fail(at, "the table `" + c["table"].get<std::string>() + "` maps `" + it.key() + "` to " +
                         it.value().dump() + ": expected a " + oe.name + " mapped to " +
                         std::to_string(k.digit_count) + " digits");
            break;
          }
          k.codes[static_cast<std::size_t>(s)] = it.value().get<std::string>();
        }
        k.table = c["table"].get<std::string>();
      }
      if (bad || k.field < 0) continue;
      bool others_ok = true;
      for (std::int32_t o : k.others) others_ok = others_ok && o >= 0;
      if (others_ok) t.checks.push_back(std::move(k));
    }
  }

  std::optional<TemplateField> read_field(const std::string& tname, const std::string& name, const ordered_json& j,
                                          const TemplateDef& t) {
    std::vector<std::string> at{"templates", tname, "fields", name};
    auto sub = [&](const std::string& attr) {
      std::vector<std::string> p = at;
      p.push_back(attr);
      return p;
    };
    if (!plain_name(name)) return fail(at, "a field name is a word of letters, digits and `_`", {}, true);
    if (t.field_index(name) >= 0) return fail(at, "the field `" + name + "` is declared twice", {}, true);
    if (!j.is_object()) return fail(at, "expected a field: an object with at least `type`");
    static const std::vector<std::string> attributes{"type",    "description", "display", "required", "default",
                                                     "none",    "min",         "max",     "format",   "digits",
                                                     "derive"};
    std::size_t before = errors_.size();
    for (auto it = j.begin(); it != j.end(); ++it)
      if ((it.key().empty() || it.key()[0] != '$') &&
          std::find(attributes.begin(), attributes.end(), it.key()) == attributes.end())
        fail(sub(it.key()),
             "unknown field attribute `" + it.key() +
                 "` (type, description, display, required, default, none, min, max, format, digits, derive)",
             did_you_mean(it.key(), attributes), true);
    TemplateField f;
    f.def.name = name;
    std::string err;
    auto type = j.contains("type") ? scalar_type(kb_, local_, j["type"], err) : std::nullopt;
    if (!type) return fail(j.contains("type") ? sub("type") : at, err.empty() ? "a field needs a `type`" : err);
    f.def.type = *type;
    const TypeDesc& d = kb_.types.at(f.def.type);
    bool numeric = d.kind == TypeKind::Integer || d.kind == TypeKind::Number;
    auto text_attr = [&](const char* attr, std::string& dest) {
      if (!j.contains(attr)) return;
      if (j[attr].is_string())
        dest = j[attr].get<std::string>();
      else
        fail(sub(attr), std::string("expected a text for `") + attr + "`");
    };
    auto flag_attr = [&](const char* attr, bool& dest) {
      if (!j.contains(attr)) return;
      if (j[attr].is_boolean())
        dest = j[attr].get<bool>();
      else
        fail(sub(attr), std::string("expected true or false for `") + attr + "`");
    };
    text_attr("description", f.def.description);
    text_attr("display", f.display);
    if (f.display.empty()) f.display = name;
    flag_attr("required", f.required);
    flag_attr("none", f.accepts_none);
    if (f.accepts_none && !numeric) fail(sub("none"), "only a number field may accept `none`");
    for (const char* bound : {"min", "max"}) {
      if (!j.contains(bound)) continue;
      if (!numeric)
        fail(sub(bound), std::string("`") + bound + "` applies to integer and number fields only");
      else if (!j[bound].is_number())
        fail(sub(bound), std::string("expected a number for `") + bound + "`");
      else
        (bound[1] == 'i' ? f.def.min : f.def.max) = j[bound].get<double>();
    }
    if (f.def.min && f.def.max && *f.def.min > *f.def.max) fail(sub("min"), "`min` is greater than `max`");
    if (j.contains("format")) {
      std::string fmt = j["format"].is_string() ? j["format"].get<std::string>() : "";
      if (d.kind != TypeKind::String)
        fail(sub("format"), "`format` applies to string fields only");
      else if (fmt == "date")
        f.format = TextFormat::Date;
      else
        fail(sub("format"), "expected the format `date` (a date written YYYY-MM-DD)",
             did_you_mean(fmt, {"date"}));
    }
    if (j.contains("digits")) {
      if (d.kind != TypeKind::String || f.format != TextFormat::Any)
        fail(sub("digits"), "`digits` applies to string fields without a `format` only");
      else if (!j["digits"].is_number_integer() || j["digits"].get<int>() < 1 || j["digits"].get<int>() > 64)
        fail(sub("digits"), "expected the number of digits, from 1 to 64");
      else {
        f.format = TextFormat::Digits;
        f.digits = j["digits"].get<int>();
      }
    }
    if (j.contains("default")) {
      std::vector<DataError> errs;
      Value v;
      if (f.required) {
        fail(sub("default"), "a required field has no default");
      } else if (!kb_.value_from_json(nlohmann::json(j["default"]), f.def.type, &f.def, "", v, errs)) {
        fail(sub("default"), "the default is not a value of the field: " + errs.front().message);
      } else {
        f.default_value = v;
      }
    }
    if (j.contains("derive") && d.kind != TypeKind::Enum)
      fail(sub("derive"), "only an enum field may be derived");
    if (errors_.size() > before) return std::nullopt;
    return f;
  }

  void read_derive(TemplateDef& t, std::size_t index, const ordered_json& j) {
    TemplateField& f = t.fields[index];
    std::vector<std::string> at{"templates", t.name, "fields", f.def.name, "derive"};
    if (!j.is_object() || !j.contains("from") || !j.contains("table") || !j.contains("map") || j.size() != 3 ||
        !j["from"].is_string()) {
      fail(at, "expected {\"from\": FIELD, \"table\": FILE, \"map\": SECTION}");
      return;
    }
    std::string from = j["from"].get<std::string>();
    int src = t.field_index(from);
    const TypeDesc* sd = src >= 0 ? &kb_.types.at(t.fields[static_cast<std::size_t>(src)].def.type) : nullptr;
    if (!sd || sd->kind != TypeKind::Enum || static_cast<std::size_t>(src) == index) {
      at.push_back("from");
      fail(at, "expected another enum field of `" + t.name + "` to derive from", did_you_mean(from, t.given_names()));
      return;
    }
    auto section = table_section(at, j["table"], j["map"]);
    if (!section) return;
    const EnumDef& se = kb_.enums[static_cast<std::size_t>(sd->enum_id)];
    const EnumDef& de = kb_.enums[static_cast<std::size_t>(kb_.types.at(f.def.type).enum_id)];
    f.derive_map.assign(se.values.size(), -1);
    for (auto it = section->begin(); it != section->end(); ++it) {
      int s = se.find(it.key());
      int v = it.value().is_string() ? de.find(it.value().get<std::string>()) : -1;
      if (s < 0 || v < 0) {
        fail(at, "the table `" + j["table"].get<std::string>() + "` maps `" + it.key() + "` to " +
                     it.value().dump() + ": expected a " + se.name + " mapped to a " + de.name);
        return;
      }
      f.derive_map[static_cast<std::size_t>(s)] = v;
    }
    f.derive_from = src;
    f.derive_table = j["table"].get<std::string>();
  }

  const std::string& text_;
  const std::string& file_;
  KnowledgeBase& kb_;
  std::vector<DataError>& errors_;
  std::vector<std::pair<std::string, int>> local_;  // enums this file declares: name, id
};

}  // namespace

std::pair<std::uint32_t, std::uint32_t> locate_json_path(const std::string& text, const std::vector<std::string>& steps,
                                                         bool key) {
  Walker w{text};
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) w.i = 3;
  std::size_t at = std::string::npos;
  w.blanks();
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const std::string& step = steps[s];
    if (!w.more()) return {0, 0};
    if (!step.empty() && step[0] == '[') {
      if (text[w.i] != '[') return {0, 0};
      ++w.i;
      std::size_t n = std::strtoul(step.c_str() + 1, nullptr, 10);
      for (std::size_t k = 0; k < n; ++k) {
        w.blanks();
        w.value();
        w.blanks();
        if (!w.more() || text[w.i] != ',') return {0, 0};
        ++w.i;
      }
      w.blanks();
      at = w.i;
      continue;
    }
    if (text[w.i] != '{') return {0, 0};
    ++w.i;
    bool found = false;
    while (!found) {
      w.blanks();
      if (!w.more() || text[w.i] != '"') return {0, 0};
      std::size_t key_at = w.i;
      w.string();
      auto k = ordered_json::parse(text.begin() + static_cast<std::ptrdiff_t>(key_at),
                                   text.begin() + static_cast<std::ptrdiff_t>(w.i), nullptr, false);
      w.blanks();
      if (w.more() && text[w.i] == ':') ++w.i;
      w.blanks();
      if (k.is_string() && k.get<std::string>() == step) {
        found = true;
        at = key && s + 1 == steps.size() ? key_at : w.i;
        break;
      }
      w.value();
      w.blanks();
      if (!w.more() || text[w.i] != ',') return {0, 0};
      ++w.i;
    }
  }
  if (at == std::string::npos) at = w.i;
  std::uint32_t line = 1, col = 1;
  for (std::size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0; i < at && i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      col = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++col;
    }
  }
  return {line, col};
}

bool load_templates_text(const std::string& text, const std::string& file, KnowledgeBase& kb, TemplateSet& out,
                         std::vector<DataError>& errors) {
  return TemplatesReader(text, file, kb, errors).read(out);
}

bool load_templates(const std::string& file, KnowledgeBase& kb, TemplateSet& out, std::vector<DataError>& errors) {
  std::string why;
  auto text = read_whole(file, kMaxTemplatesBytes, why);
  if (!text) {
    errors.push_back({file, "", 0, 0, why == "cannot read the file" ? "cannot read the templates file" : why, {}});
    return false;
  }
  return load_templates_text(*text, file, kb, out, errors);
}

}  // namespace advise

namespace advise {

TemplateDef specialty_template(const KnowledgeBase& kb) {
  TemplateDef t;
  t.name = std::string(kSpecialtyTemplate);
  t.doc = "a specialty of the knowledge base (kb/specialties.json)";
  t.file = "kb/specialties.json";
  t.kb_specialties = true;
  TemplateField id;
  id.def.name = "id";
  id.def.description = "the specialty";
  for (std::size_t i = 0; i < kb.types.size(); ++i) {
    const TypeDesc& d = kb.types.at(static_cast<TypeId>(i));
    if (d.kind == TypeKind::Enum && d.enum_id == kb.specialty_enum) id.def.type = static_cast<TypeId>(i);
  }
  id.display = "id";
  id.required = true;
  t.fields.push_back(std::move(id));
  for (const FieldDef& a : kb.specialty_attributes) {
    TemplateField f;
    f.def = a;
    f.display = a.name;
    t.fields.push_back(std::move(f));
  }
  t.key = {0};
  return t;
}

std::vector<Value> specialty_values(const KnowledgeBase& kb, std::int32_t symbol) {
  std::vector<Value> out;
  const Specialty& s = kb.specialties.at(static_cast<std::size_t>(symbol));
  out.reserve(s.attributes.size() + 1);
  out.push_back(Value::symbol(kb.specialty_enum, symbol));
  out.insert(out.end(), s.attributes.begin(), s.attributes.end());
  return out;
}

}  // namespace advise
