#include "kb/profile.hpp"

#include "kb/suggest.hpp"

namespace advise {

std::string Profile::name() const {
  if (!kb) return "";
  int idx = kb->field_index("name");
  if (idx < 0) return "";
  const Value& v = values[static_cast<std::size_t>(idx)];
  return v.kind == Value::Kind::Text ? *v.text : "";
}

std::optional<Profile> profile_from_json(const nlohmann::json& j, const std::string& source, const KnowledgeBase& kb,
                                         std::vector<DataError>& errors) {
  std::size_t before = errors.size();
  if (!j.is_object()) {
    errors.push_back({source, "$", 0, 0,
                      "expected a JSON object of profile fields, like {\"stage\": \"ms3\", \"step2ck\": 251}", {}});
    return std::nullopt;
  }
  Profile p;
  p.source = source;
  p.kb = &kb;
  p.values.assign(kb.fields.size(), Value{});
  std::vector<std::string> names;
  for (const FieldDef& f : kb.fields) names.push_back(f.name);
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& key = it.key();
    std::string path = "$." + key;
    if (key.rfind("x_", 0) == 0) {
      p.carried[key] = it.value();
      continue;
    }
    int idx = kb.field_index(key);
    if (idx < 0) {
      // Normalise common spellings before suggesting: step2_ck -> step2ck.
      std::string squashed;
      for (char c : key)
        if (c != '_' && c != '-') squashed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::optional<std::string> hint;
      for (const std::string& n : names) {
        std::string sn;
        for (char c : n)
          if (c != '_') sn += c;
        if (sn == squashed) hint = n;
      }
      if (!hint) hint = did_you_mean(key, names);
      errors.push_back({source, path, 0, 0,
                        "unknown field `" + key + "` (prefix it with `x_` to carry a field Advise should ignore)",
                        hint});
      continue;
    }
    if (it.value().is_null()) {
      errors.push_back({source, path, 0, 0,
                        "null is not a value; leave the field out when it is not known", {}});
      continue;
    }
    const FieldDef& f = kb.fields[static_cast<std::size_t>(idx)];
    std::vector<DataError> errs;
    Value v;
    if (kb.value_from_json(it.value(), f.type, &f, path, v, errs)) {
      p.values[static_cast<std::size_t>(idx)] = std::move(v);
    } else {
      for (auto& e : errs) {
        e.file = source;
        errors.push_back(std::move(e));
      }
    }
  }
  if (errors.size() > before) return std::nullopt;
  return p;
}

std::optional<Profile> load_profile(const std::string& text, const std::string& source, const KnowledgeBase& kb,
                                    std::vector<DataError>& errors) {
  if (text.size() > kMaxProfileBytes) {
    errors.push_back({source, "", 0, 0,
                      "the profile is " + std::to_string(text.size()) + " bytes; profiles may be at most " +
                          std::to_string(kMaxProfileBytes) + " bytes",
                      {}});
    return std::nullopt;
  }
  auto j = parse_json_document(text, source, errors);
  if (!j) return std::nullopt;
  return profile_from_json(*j, source, kb, errors);
}

}  // namespace advise
