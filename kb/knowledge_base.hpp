// The knowledge base's data: the schema of profile fields and conclusions
// (kb/schema.json), the specialty table (kb/specialties.json) and published
// figures (kb/figures.json). This is the single source for rule checking,
// profile validation and kb/profile.schema.json.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/value.hpp"

namespace advise {

// Whether the applicant can change a profile field, for `advise what-if`
// (kb/schema.json, "actionable"): never (Fixed), freely (Any), or only up
// (Up: numbers grow, booleans become true, lists gain items) or only down.
// A field may be actionable only in some profiles: while it is missing,
// while its number is below a bound, or while its value is one of a list.
struct Actionability {
  enum class Change : std::uint8_t { Fixed, Any, Up, Down };
  Change change = Change::Fixed;
  bool conditional = false;  // actionable only while one of the three holds
  bool while_missing = false;
  std::optional<double> while_below;
  std::vector<std::string> while_in;
  // Why it cannot be changed (always, or once the conditions no longer hold).
  std::string fixed_because;
};

struct FieldDef {
  std::string name;
  TypeId type = kNoType;
  std::optional<double> min, max;  // for numbers, and for the items of number lists
  std::string description;
  Actionability actionable;  // profile fields only
  // Conclusions: the value applicants hope for (kb/schema.json "hoped_for"),
  // whose what-if the report shows (engine/whatif.hpp); Missing when none.
  Value hoped_for;
  // Conclusions: carried by every report (kb/schema.json "every_report", true
  // or {"given": [FIELD...]}): `advise check` reports the profiles, among
  // those that give `every_report_given` and that the rules setting it speak
  // to, for which no rule sets it (a gap, docs/language.md).
  bool every_report = false;
  std::vector<std::string> every_report_given;
  // {"when": {FIELD: [VALUE...]}}: only profiles whose FIELD (an enum) is
  // missing or one of the VALUEs; the report of any other may leave it out.
  std::vector<std::pair<std::string, std::vector<std::string>>> every_report_when;
  std::string label;  // display name (schema.json `labels`); empty when none
};

struct Specialty {
  std::string id;
  std::vector<Value> attributes;  // indexed like KnowledgeBase::specialty_attributes
  std::string source;
};

struct Figure {
  std::string id;
  std::string text;
  std::string source;
  int year = 0;
  bool secondary = false;
};

// A standard that changes over time (kb/standards.json): its values with the
// dates they took effect, and the one in force on the knowledge base's
// `as_of` date, which is what the rules read by name.
struct Standard {
  struct Step {
    std::string from;  // YYYY-MM-DD; empty for a value in force before the next one
    double value = 0;
  };
  std::string name;
  std::string description;
  std::string source;
  bool secondary = false;
  std::vector<Step> history;  // oldest first
  std::size_t in_force = 0;   // index into history
  Value value() const { return Value::number(history.at(in_force).value); }
};

// A problem in a knowledge-base or profile JSON file: where, what, and a
// suggestion when one exists.
struct DataError {
  std::string file;
  std::string path;  // JSON path, like $.step2ck or $.nbme_practice[2]
  std::uint32_t line = 0, column = 0;  // 0 when not known
  std::string message;
  std::optional<std::string> suggestion;
  // What kind of problem it is, set where it is found, so that a caller (the
  // case library's diagnostic kinds) never reads it from the words.
  enum class Kind : std::uint8_t {
    Invalid,       // a value of the wrong type, or that contradicts another
    Syntax,        // not JSON (or not text), or empty
    Limit,         // over a size, nesting or count limit of the reader
    UnknownField,  // a key the schema does not know
    UnknownValue,  // not a value of the field's enum
    OutOfRange,    // a number outside the field's bounds
  };
  Kind kind = Kind::Invalid;
  // A warning: the data is read, but something looks wrong (a program id
  // whose codes disagree with its specialty).
  bool warning = false;
  // file:line:col: error: at $.path: message; did you mean `x`? (`warning:`
  // for a warning.) Safe for a terminal (kb/sanitize.hpp).
  std::string text() const;
};

class KnowledgeBase {
 public:
  TypeTable types;
  std::vector<EnumDef> enums;
  std::vector<FieldDef> fields;       // profile fields, in schema order
  std::vector<FieldDef> conclusions;  // conclusions, in schema order
  std::vector<FieldDef> specialty_attributes;
  std::vector<Specialty> specialties;  // index = symbol of the `specialty` enum
  std::vector<Figure> figures;         // index = symbol of the `figure` enum
  // Groups the knowledge base defines: one per specialty class (`ultra`, ...).
  std::vector<std::pair<std::string, Value>> groups;
  // Standards with effective dates (kb/standards.json, optional), and the
  // date on which the knowledge base reads the one in force.
  std::vector<Standard> standards;
  std::string standards_as_of;
  const Standard* standard(std::string_view name) const;
  // Aliases the knowledge base defines for every rule file: name -> field or conclusion.
  std::vector<std::pair<std::string, std::string>> aliases;
  const std::string* alias(std::string_view name) const;
  std::string directory;  // where it was loaded from

  std::int32_t specialty_enum = -1, figure_enum = -1, category_enum = -1, class_enum = -1;

  int enum_index(std::string_view name) const;
  int field_index(std::string_view name) const;
  // Whether the applicant can still change profile field `field` whose value
  // is `v`: its `actionable` mark in kb/schema.json, with the conditions that
  // depend on the profile (Step 2 CK only while not taken or below the
  // passing standard). One notion for `what-if` and `--why-not`'s "(you can
  // change this)".
  bool actionable_now(std::size_t field, const Value& v) const;
  int conclusion_index(std::string_view name) const;
  int attribute_index(std::string_view name) const;
  const Value* group(std::string_view name) const;
  // The type named in schema JSON: "integer", "specialty", {"list": T}, {"map": [K, V]}.
  std::optional<TypeId> parse_type(const nlohmann::json& j, std::string& error);

  std::string type_name(TypeId t) const { return types.name(t, enums); }
  std::string display(const Value& v) const { return to_display(v, enums); }
  std::string source_text(const Value& v) const { return to_source(v, enums); }
  // As display, with enum values by their display names: what the applicant's
  // report shows ("Internal Medicine", "dual application: ...").
  std::string label(const Value& v) const { return to_label(v, enums); }
  // The display name of a profile field or conclusion; its name when it has none.
  std::string slot_label(std::string_view name) const;
  std::string conclusion_label(std::string_view name) const;
  // Every enum value, profile field and conclusion without a display name
  // (`advise check` reports them); figures are shown by their text.
  std::vector<DataError> missing_labels() const;

  // Converts JSON to a value of type `t`, checking ranges; errors name the
  // JSON path and suggest enum values.
  bool value_from_json(const nlohmann::json& j, TypeId t, const FieldDef* range, const std::string& path,
                       Value& out, std::vector<DataError>& errors) const;

 private:
  std::map<std::string, int, std::less<>> field_index_, conclusion_index_, attribute_index_, enum_index_;
  friend std::optional<KnowledgeBase> load_knowledge_base(const std::string&, std::vector<DataError>&);
  friend struct RuleCacheCodec;  // dsl/rule_cache.cpp rebuilds a kb read from the start-up cache
  void index();
};

// Loads schema.json, specialties.json and figures.json from `directory`, and
// standards.json when it is there.
std::optional<KnowledgeBase> load_knowledge_base(const std::string& directory, std::vector<DataError>& errors);

// Reads a JSON document, reporting syntax errors with line, column and the
// offending text, and duplicate object keys (which would silently lose data).
std::optional<nlohmann::json> parse_json_document(const std::string& text, const std::string& file,
                                                  std::vector<DataError>& errors);

// Gives the errors from index `from` on that are about `file` and have a JSON
// path but no line the line and column of that path's value in `text` (of
// the nearest enclosing value present, for a missing member).
void locate_data_errors(const std::string& text, const std::string& file, std::vector<DataError>& errors,
                        std::size_t from);

// Line and column of a byte offset in `text`.
std::pair<std::uint32_t, std::uint32_t> offset_to_line_col(const std::string& text, std::size_t offset);

}  // namespace advise
