// Applicant profiles: a flat JSON object validated against the schema's
// fields (../shared/PRODUCT.md). Unknown fields, wrong types, out-of-range
// numbers and unknown enum values are all reported at once, each with its
// JSON path and a suggestion; fields prefixed `x_` are carried and ignored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kb/knowledge_base.hpp"

namespace advise {

inline constexpr std::size_t kMaxProfileBytes = 1024u * 1024u;

struct Profile {
  std::string source;            // file name, "-" for stdin, or "line N"
  std::vector<Value> values;     // indexed like KnowledgeBase::fields; Missing when left out
  nlohmann::ordered_json carried = nlohmann::ordered_json::object();  // the x_ fields, as given
  std::string name() const;      // the `name` field, or "" when absent
  const KnowledgeBase* kb = nullptr;
};

// Parses and validates `text`. On failure returns nothing and appends every
// problem to `errors` (file set to `source`).
std::optional<Profile> load_profile(const std::string& text, const std::string& source, const KnowledgeBase& kb,
                                    std::vector<DataError>& errors);

// Validates an already-parsed JSON value (used by batch mode).
std::optional<Profile> profile_from_json(const nlohmann::json& j, const std::string& source,
                                         const KnowledgeBase& kb, std::vector<DataError>& errors);

}  // namespace advise
