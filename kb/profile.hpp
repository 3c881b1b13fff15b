// Applicant profiles: a flat JSON object validated against the schema's
// fields (../shared/PRODUCT.md). Unknown fields, wrong types, out-of-range
// numbers and unknown enum values are all reported at once, in document
// order, each with its JSON path, its line and column, and a suggestion where
// one exists; fields prefixed `x_` are carried and ignored.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kb/knowledge_base.hpp"

namespace advise {

// The largest profile (a file, standard input, or one line of a batch).
inline constexpr std::size_t kMaxProfileBytes = 1024u * 1024u;
// The deepest nesting of lists and objects in a profile (the profile object
// itself is level 1). Profiles are flat; only `x_` fields may nest at all.
inline constexpr int kMaxProfileDepth = 64;
// The most keys in one object of a profile (the profile has a few dozen
// fields; an `x_` field may hold objects of its own).
inline constexpr std::size_t kMaxProfileKeys = 1000;
// The most items in the list of a profile field (`nbme_practice`,
// `backup_specialties`, ...); `x_` fields are bounded by the size limit only.
inline constexpr std::size_t kMaxProfileListItems = 1000;

struct Profile {
  std::string source;            // file name, "-" for stdin, or "line N"
  std::vector<Value> values;     // indexed like KnowledgeBase::fields; Missing when left out
  nlohmann::ordered_json carried = nlohmann::ordered_json::object();  // the x_ fields, as given, in order
  std::string name() const;      // the `name` field, or "" when absent
  const KnowledgeBase* kb = nullptr;
};

// Parses (as parse_profile_json does) and validates `text`; a profile
// field's list may have at most kMaxProfileListItems items. On failure
// returns nothing and appends every problem to `errors` (file set to
// `source`, line and column within `text`), sorted by where it is in the text.
std::optional<Profile> load_profile(const std::string& text, const std::string& source, const KnowledgeBase& kb,
                                    std::vector<DataError>& errors);

// Parses a profile's JSON text, keeping the order of its keys, in time
// linear in its size. Refuses, with line and column: text that is not UTF-8
// (UTF-16, or any NUL byte: the JSON reader would take it for the end),
// syntax errors (saying what was found and what was expected), duplicate
// keys, nesting deeper than kMaxProfileDepth, objects of more than
// kMaxProfileKeys keys, numbers too large to represent or so small they
// would round to 0 (with their JSON path). A UTF-8 byte-order mark is
// skipped. Never throws.
std::optional<nlohmann::ordered_json> parse_profile_json(const std::string& text, const std::string& source,
                                                         std::vector<DataError>& errors);

// Validates an already-parsed JSON value; errors carry paths but no line
// and column (there is no text to point into).
std::optional<Profile> profile_from_json(const nlohmann::ordered_json& j, const std::string& source,
                                         const KnowledgeBase& kb, std::vector<DataError>& errors);
std::optional<Profile> profile_from_json(const nlohmann::json& j, const std::string& source,
                                         const KnowledgeBase& kb, std::vector<DataError>& errors);

// The JSON path of a top-level key: `$.step2ck`, or `$["odd key"]` when the
// key is not a plain name.
std::string profile_path(const std::string& key);

}  // namespace advise
