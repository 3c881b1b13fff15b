#include "kb/value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace advise {

int EnumDef::find(std::string_view v) const {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] == v) return static_cast<int>(i);
  return -1;
}

TypeTable::TypeTable() {
  // Fixed ids for the primitives; see the accessors in the header.
  types_ = {{TypeKind::Any},    {TypeKind::Integer}, {TypeKind::Number},
            {TypeKind::Boolean}, {TypeKind::String},  {TypeKind::Range}};
}

TypeId TypeTable::intern(TypeDesc d) {
  for (std::size_t i = 0; i < types_.size(); ++i)
    if (types_[i] == d) return static_cast<TypeId>(i);
  types_.push_back(d);
  return static_cast<TypeId>(types_.size() - 1);
}

std::string TypeTable::name(TypeId t, const std::vector<EnumDef>& enums) const {
  const TypeDesc& d = at(t);
  switch (d.kind) {
    case TypeKind::Any: return "any value";
    case TypeKind::Integer: return "integer";
    case TypeKind::Number: return "number";
    case TypeKind::Boolean: return "boolean";
    case TypeKind::String: return "text";
    case TypeKind::Range: return "range";
    case TypeKind::Enum: return enums.at(static_cast<std::size_t>(d.enum_id)).name;
    case TypeKind::List: return "list of " + name(d.elem, enums);
    case TypeKind::Map: return "map from " + name(d.key, enums) + " to " + name(d.elem, enums);
  }
  return "value";
}

Value Value::boolean(bool b) {
  Value v;
  v.kind = Kind::Bool;
  v.flag = b;
  return v;
}
Value Value::number(double d) {
  Value v;
  v.kind = Kind::Number;
  v.num = d;
  return v;
}
Value Value::symbol(std::int32_t e, std::int32_t s) {
  Value v;
  v.kind = Kind::Symbol;
  v.enum_id = e;
  v.sym = s;
  return v;
}
Value Value::string(std::string s) {
  Value v;
  v.kind = Kind::Text;
  v.text = std::make_shared<const std::string>(std::move(s));
  return v;
}
Value Value::range(double lo, double high) {
  Value v;
  v.kind = Kind::Range;
  v.num = lo;
  v.hi = high;
  return v;
}
Value Value::list(ValueList items) {
  Value v;
  v.kind = Kind::List;
  v.items = std::make_shared<const ValueList>(std::move(items));
  return v;
}
Value Value::map(ValueList pairs) {
  Value v;
  v.kind = Kind::Map;
  v.items = std::make_shared<const ValueList>(std::move(pairs));
  return v;
}

const ValueList& Value::list_items() const {
  static const ValueList empty;
  return items ? *items : empty;
}

Value Value::map_get(const Value& key) const {
  const Value* v = map_find(key);
  return v ? *v : Value{};
}

bool value_detail::lists_equal(const Value& a, const Value& b) { return a.list_items() == b.list_items(); }

bool value_less(const Value& a, const Value& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  switch (a.kind) {
    case Value::Kind::Missing: return false;
    case Value::Kind::Bool: return a.flag < b.flag;
    case Value::Kind::Number: return a.num < b.num;
    case Value::Kind::Symbol: return a.enum_id != b.enum_id ? a.enum_id < b.enum_id : a.sym < b.sym;
    case Value::Kind::Text: return *a.text < *b.text;
    case Value::Kind::Range: return a.num != b.num ? a.num < b.num : a.hi < b.hi;
    case Value::Kind::List:
    case Value::Kind::Map:
      return std::lexicographical_compare(a.list_items().begin(), a.list_items().end(), b.list_items().begin(),
                                          b.list_items().end(), value_less);
  }
  return false;
}

std::string format_number(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
    return std::to_string(static_cast<long long>(d));
  }
  // Four significant digits in the shorter of fixed and scientific notation.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::general, 4);
  return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

namespace {
std::string join_english(const std::vector<std::string>& parts) {
  if (parts.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += (i + 1 == parts.size()) ? " and " : ", ";
    out += parts[i];
  }
  return out;
}
}  // namespace

namespace {
std::string display_of(const Value& v, const std::vector<EnumDef>& enums, bool labels) {
  switch (v.kind) {
    case Value::Kind::Missing: return "(not given)";
    case Value::Kind::Bool: return v.flag ? "yes" : "no";
    case Value::Kind::Number: return format_number(v.num);
    case Value::Kind::Symbol: {
      const EnumDef& e = enums.at(static_cast<std::size_t>(v.enum_id));
      return labels ? e.label(static_cast<std::size_t>(v.sym)) : e.values.at(static_cast<std::size_t>(v.sym));
    }
    case Value::Kind::Text: return *v.text;
    case Value::Kind::Range: return format_number(v.num) + "\u2013" + format_number(v.hi);
    case Value::Kind::List: {
      std::vector<std::string> parts;
      for (const Value& x : v.list_items()) parts.push_back(display_of(x, enums, labels));
      return join_english(parts);
    }
    case Value::Kind::Map: {
      std::vector<std::string> parts;
      const ValueList& it = v.list_items();
      for (std::size_t i = 0; i + 1 < it.size(); i += 2)
        parts.push_back(display_of(it[i], enums, labels) + ": " + display_of(it[i + 1], enums, labels));
      return parts.empty() ? "none" : [&] {
        std::string out;
        for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "; " : "") + parts[i];
        return out;
      }();
    }
  }
  return "";
}

}  // namespace

std::string to_display(const Value& v, const std::vector<EnumDef>& enums) { return display_of(v, enums, false); }
std::string to_label(const Value& v, const std::vector<EnumDef>& enums) { return display_of(v, enums, true); }

std::string to_source(const Value& v, const std::vector<EnumDef>& enums) {
  switch (v.kind) {
    case Value::Kind::Missing: return "missing";
    case Value::Kind::Bool: return v.flag ? "true" : "false";
    case Value::Kind::Number: return format_number(v.num);
    case Value::Kind::Symbol: return enums.at(static_cast<std::size_t>(v.enum_id)).values.at(static_cast<std::size_t>(v.sym));
    case Value::Kind::Text: {
      std::string out = "\"";
      for (char c : *v.text) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') {
          out += "\\n";
          continue;
        }
        out += c;
      }
      return out + "\"";
    }
    case Value::Kind::Range: return format_number(v.num) + ".." + format_number(v.hi);
    case Value::Kind::List: {
      std::string out = "[";
      const ValueList& it = v.list_items();
      for (std::size_t i = 0; i < it.size(); ++i) out += (i ? ", " : "") + to_source(it[i], enums);
      return out + "]";
    }
    case Value::Kind::Map: {
      std::string out = "{";
      const ValueList& it = v.list_items();
      for (std::size_t i = 0; i + 1 < it.size(); i += 2)
        out += (i ? ", " : "") + to_source(it[i], enums) + ": " + to_source(it[i + 1], enums);
      return out + "}";
    }
  }
  return "";
}

}  // namespace advise
