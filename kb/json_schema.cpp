#include "kb/json_schema.hpp"

#include <cmath>
#include <set>

#include "kb/profile.hpp"

namespace advise {

using nlohmann::ordered_json;

namespace {

ordered_json number_json(double d) {
  if (std::floor(d) == d && std::fabs(d) < 1e15) return static_cast<long long>(d);
  return d;
}

// The schema of a value of type `t`; enums are referenced from $defs and
// collected in `used`. `range` bounds numbers (and the numbers of a list).
ordered_json type_schema(const KnowledgeBase& kb, TypeId t, const FieldDef* range, std::set<std::int32_t>& used) {
  const TypeDesc& d = kb.types.at(t);
  ordered_json s = ordered_json::object();
  auto bounds = [&] {
    if (!range) return;
    if (range->min) s["minimum"] = number_json(*range->min);
    if (range->max) s["maximum"] = number_json(*range->max);
  };
  switch (d.kind) {
    case TypeKind::Any: break;
    case TypeKind::Integer:
      s["type"] = "integer";
      bounds();
      break;
    case TypeKind::Number:
      s["type"] = "number";
      bounds();
      break;
    case TypeKind::Boolean: s["type"] = "boolean"; break;
    case TypeKind::String: s["type"] = "string"; break;
    case TypeKind::Range:
      s["type"] = "object";
      s["properties"] = {{"min", {{"type", "number"}}}, {"max", {{"type", "number"}}}};
      s["required"] = {"min", "max"};
      break;
    case TypeKind::Enum:
      used.insert(d.enum_id);
      s["$ref"] = "#/$defs/" + kb.enums.at(static_cast<std::size_t>(d.enum_id)).name;
      break;
    case TypeKind::List:
      s["type"] = "array";
      s["items"] = type_schema(kb, d.elem, range, used);
      break;
    case TypeKind::Map:
      s["type"] = "object";
      s["additionalProperties"] = type_schema(kb, d.elem, nullptr, used);
      if (kb.types.at(d.key).kind == TypeKind::Enum) s["propertyNames"] = type_schema(kb, d.key, nullptr, used);
      break;
  }
  return s;
}

}  // namespace

ordered_json profile_json_schema(const KnowledgeBase& kb) {
  ordered_json schema = ordered_json::object();
  schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  schema["title"] = "Advise applicant profile";
  schema["description"] =
      "One applicant, as `advise` reads it: a flat JSON object. Leave out a field that is not known (never write null). "
      "Fields prefixed x_ are carried but ignored. Generated from the knowledge base by `advise schema`; "
      "do not edit by hand.";
  schema["type"] = "object";
  schema["maxProperties"] = kMaxProfileKeys;
  std::set<std::int32_t> used;
  ordered_json props = ordered_json::object();
  for (const FieldDef& f : kb.fields) {
    ordered_json p = ordered_json::object();
    if (!f.description.empty()) p["description"] = f.description;
    ordered_json t = type_schema(kb, f.type, &f, used);
    for (auto it = t.begin(); it != t.end(); ++it) p[it.key()] = it.value();
    if (kb.types.at(f.type).kind == TypeKind::List) p["maxItems"] = kMaxProfileListItems;
    props[f.name] = std::move(p);
  }
  schema["properties"] = std::move(props);
  schema["patternProperties"] = {
      {"^x_", {{"description", "carried with the profile but ignored by Advise (your own notes, ids)"}}}};
  schema["additionalProperties"] = false;
  ordered_json defs = ordered_json::object();
  for (std::int32_t e : used) {  // in the order of kb.enums
    const EnumDef& def = kb.enums.at(static_cast<std::size_t>(e));
    ordered_json d = ordered_json::object();
    if (e == kb.specialty_enum) d["description"] = "a specialty id (kb/specialties.json)";
    d["enum"] = def.values;
    defs[def.name] = std::move(d);
  }
  schema["$defs"] = std::move(defs);
  return schema;
}

}  // namespace advise
