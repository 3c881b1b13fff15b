// Values and types shared by the knowledge base, the checker and the engine.
//
// A Value is small and cheap to copy: texts and lists are immutable and
// shared. Missing is the value of a fact nobody knows (a profile field left
// out, a conclusion no rule has set); conditions over it are unknown.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace advise {

using TypeId = std::int32_t;
inline constexpr TypeId kNoType = -1;

enum class TypeKind : std::uint8_t { Any, Integer, Number, Boolean, String, Range, Enum, List, Map };

struct TypeDesc {
  TypeKind kind = TypeKind::Any;
  std::int32_t enum_id = -1;  // Enum
  TypeId elem = kNoType;      // List element, Map value
  TypeId key = kNoType;       // Map key
  friend bool operator==(const TypeDesc&, const TypeDesc&) = default;
};

struct EnumDef {
  std::string name;
  std::vector<std::string> values;
  // Display names, as the applicant's report shows the values (parallel to
  // `values`; empty where the knowledge base gives none).
  std::vector<std::string> labels;
  int find(std::string_view v) const;  // -1 when absent
  // The display name of value `i`, or its id when it has none.
  const std::string& label(std::size_t i) const {
    return i < labels.size() && !labels[i].empty() ? labels[i] : values.at(i);
  }
};

// Interned types: equal descriptions have equal ids.
class TypeTable {
 public:
  TypeTable();
  TypeId intern(TypeDesc d);
  const TypeDesc& at(TypeId t) const { return types_.at(static_cast<std::size_t>(t)); }
  std::size_t size() const { return types_.size(); }
  TypeId any() const { return 0; }
  TypeId integer() const { return 1; }
  TypeId number() const { return 2; }
  TypeId boolean() const { return 3; }
  TypeId string() const { return 4; }
  TypeId range() const { return 5; }
  TypeId enum_type(std::int32_t enum_id) { return intern({TypeKind::Enum, enum_id, kNoType, kNoType}); }
  TypeId list_of(TypeId elem) { return intern({TypeKind::List, -1, elem, kNoType}); }
  TypeId map_of(TypeId key, TypeId value) { return intern({TypeKind::Map, -1, value, key}); }
  bool numeric(TypeId t) const {
    return at(t).kind == TypeKind::Integer || at(t).kind == TypeKind::Number;
  }
  // Human-readable: "integer", "list of specialty", "map from specialty to range".
  std::string name(TypeId t, const std::vector<EnumDef>& enums) const;

 private:
  std::vector<TypeDesc> types_;
};

struct Value;
using ValueList = std::vector<Value>;

struct Value {
  enum class Kind : std::uint8_t { Missing, Bool, Number, Symbol, Text, Range, List, Map };
  Kind kind = Kind::Missing;
  bool flag = false;
  std::int32_t enum_id = -1;  // Symbol
  std::int32_t sym = -1;      // Symbol: index into the enum's values
  double num = 0;             // Number; Range: low end
  double hi = 0;              // Range: high end
  std::shared_ptr<const std::string> text;
  std::shared_ptr<const ValueList> items;  // List: items; Map: key, value, key, value ...

  static Value missing() { return {}; }
  static Value boolean(bool b);
  static Value number(double d);
  static Value symbol(std::int32_t enum_id, std::int32_t sym);
  static Value string(std::string s);
  static Value range(double lo, double hi);
  static Value list(ValueList items);
  static Value map(ValueList pairs);

  bool is_missing() const { return kind == Kind::Missing; }
  const ValueList& list_items() const;
  std::size_t map_size() const { return items ? items->size() / 2 : 0; }
  // Map lookup: the value under `key`, or nullptr when absent (or not a map).
  const Value* map_find(const Value& key) const;
  // Map lookup, copied; Missing when absent.
  Value map_get(const Value& key) const;
};

namespace value_detail {
bool lists_equal(const Value& a, const Value& b);
}
// Inline: map lookups and the matcher's key comparisons call it in their
// inner loops; only lists and maps compare out of line.
inline bool operator==(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::Missing: return true;
    case Value::Kind::Bool: return a.flag == b.flag;
    case Value::Kind::Number: return a.num == b.num;
    case Value::Kind::Symbol: return a.enum_id == b.enum_id && a.sym == b.sym;
    case Value::Kind::Text: return a.text == b.text || *a.text == *b.text;
    case Value::Kind::Range: return a.num == b.num && a.hi == b.hi;
    case Value::Kind::List:
    case Value::Kind::Map: return value_detail::lists_equal(a, b);
  }
  return false;
}
inline const Value* Value::map_find(const Value& key) const {
  if (kind != Kind::Map || !items) return nullptr;
  const ValueList& kv = *items;
  for (std::size_t i = 0; i + 1 < kv.size(); i += 2)
    if (kv[i] == key) return &kv[i + 1];
  return nullptr;
}
inline bool operator!=(const Value& a, const Value& b) { return !(a == b); }
// A total order for sorting and tie-breaks (kind first, then contents).
bool value_less(const Value& a, const Value& b);

// Plain text of a value as applicants read it: 250, dermatology, 80–100,
// "a, b and c". Numbers print without a trailing .0.
std::string format_number(double d);
std::string to_display(const Value& v, const std::vector<EnumDef>& enums);
// As to_display, with enum values by their display names (EnumDef::labels).
std::string to_label(const Value& v, const std::vector<EnumDef>& enums);
// The language's own spelling: 250, dermatology, 80..100, [a, b], "text".
std::string to_source(const Value& v, const std::vector<EnumDef>& enums);

}  // namespace advise
