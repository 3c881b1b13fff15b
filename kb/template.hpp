// Templates: typed records of many facts (docs/facts.md). A template has a
// name, a doc line, fields typed with the knowledge base's type system (the
// profile's: integer and number with a range, boolean, string, an enum), and
// the fields that are a record's key in explanations (`program_id` + `track`).
//
// Templates are declared in kb/templates.json (or any file of that form,
// load_templates) and kept in a TemplateSet beside the KnowledgeBase, whose
// enum table receives the templates' enums.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kb/knowledge_base.hpp"

namespace advise {

// The most fields in one template, derived fields included (the matcher keeps
// one bit per field for missing values: engine/rete.hpp kMaxFields).
inline constexpr std::size_t kMaxTemplateFields = 64;
// The largest templates file.
inline constexpr std::size_t kMaxTemplatesBytes = 1024u * 1024u;

// How a string field's text is checked.
enum class TextFormat : std::uint8_t {
  Any,
  Date,    // YYYY-MM-DD, a real calendar date
  Digits,  // exactly `digits` decimal digits (ids with leading zeros)
};

struct TemplateField {
  FieldDef def;         // name, type (a scalar type), min/max, description
  std::string display;  // the name people read ("ACGME program id"); def.name when not given
  // Every record gives a value: in CSV the column is present and no cell is
  // empty, in JSON the key is present.
  bool required = false;
  // The value of a record that leaves the field out entirely (CSV: no
  // column; JSON: no key). A field with a default is never unknown: an empty
  // CSV cell is an error.
  std::optional<Value> default_value;
  // Accepts the word `none` ("the program states there is no limit") beside
  // its numbers. `none` is kept in the derived boolean field `<name>_none`
  // (`none_flag`), and the field itself is then missing: a number field and
  // a flag, so that a number test over `none` is never read as a limit, and
  // unknown (both missing) is never read as `none`.
  bool accepts_none = false;
  std::int32_t none_flag = -1;  // index of `<name>_none`
  std::int32_t none_of = -1;    // for `<name>_none`: the field it belongs to
  TextFormat format = TextFormat::Any;
  int digits = 0;  // TextFormat::Digits
  // Derived from an enum field through a kb table (`census_division` from
  // `state`): derive_map[symbol of the source] is this field's symbol, or -1
  // (no value: a territory has no census division). A record may give the
  // field too; then it must agree.
  std::int32_t derive_from = -1;
  std::vector<std::int32_t> derive_map;
  std::string derive_table;  // the table's file, for messages

  // Set by the reader, never given in a file (`<name>_none`).
  bool derived_only() const { return none_of >= 0; }
  const std::string& name() const { return def.name; }
};

// A rule across fields of one record (kb/templates.json `checks`,
// docs/facts.md), checked by the readers after a record's fields; a field
// left unknown never breaks one.
struct TemplateCheck {
  enum class Kind : std::uint8_t {
    AtMost,   // {"at_most": [A, B]}: A <= B when both are known
    Needs,    // {"needs": A, "when": [B, ...]}: A is known (a number, not `none`) when any B is
    Allowed,  // {"allowed": A, "by": B, "values": {b: [a, ...], "*": [...]}}: A is one of B's values
    Code,     // {"code": A, "digits": [from, count], "of": B, "table": F, "map": S}: A's digits are B's code
  };
  Kind kind = Kind::AtMost;
  std::int32_t field = -1;            // A
  std::vector<std::int32_t> others;   // AtMost: {B}; Needs: the `when` fields; Allowed, Code: {B}
  std::string why;                    // said after the problem (`why`)
  bool warning = false;               // a warning, not an error (`"warning": true`)
  // Allowed: per symbol of B, the symbols of A allowed; empty: any.
  std::vector<std::vector<std::int32_t>> allowed;
  // Code: the digits (0-based start, count) and per symbol of B its code ("" when the table has none).
  std::size_t digit_from = 0, digit_count = 0;
  std::vector<std::string> codes;
  std::string table;  // the table's file, for messages
};

struct TemplateDef {
  std::string name;
  std::string doc;
  std::vector<TemplateField> fields;
  std::vector<std::int32_t> key;  // fields naming a record in explanations and checked unique
  std::vector<TemplateCheck> checks;
  std::string file;               // where it was declared
  // The knowledge base's specialties (specialty_template): its records are
  // kb/specialties.json's, asserted by the engine for every rule set that
  // uses the template; rules read them and never create, change or remove them.
  bool kb_specialties = false;

  int field_index(std::string_view field) const;  // -1 when absent
  // The names a record may give (every field but the derived `_none` flags), for suggestions.
  std::vector<std::string> given_names() const;
};

// The template of the knowledge base's specialties, `specialty`: the field
// `id` (the specialty, its key) and one field per attribute of kb/schema.json's
// `specialty_attributes`, in order, so that attribute i is field i + 1. Its
// records are kb/specialties.json's entries (specialty_values), one per
// symbol of the `specialty` enum. Rules match them in patterns (`for each
// specialty s where s.class is ultra`), and `x.apps_min`, where `x` is a
// specialty, reads field `apps_min` of the record whose `id` is x
// (docs/facts.md, "Specialties").
inline constexpr std::string_view kSpecialtyTemplate = "specialty";
TemplateDef specialty_template(const KnowledgeBase& kb);
// The fields of specialty `symbol`'s record, ordered like specialty_template's.
std::vector<Value> specialty_values(const KnowledgeBase& kb, std::int32_t symbol);

struct TemplateSet {
  std::vector<TemplateDef> templates;
  int find(std::string_view name) const;  // -1 when absent
  std::vector<std::string> names() const;
};

// Reads a templates file (the form of kb/templates.json, docs/facts.md):
// enums, added to kb.enums (a name the kb already has is an error), and
// templates, appended to `out`. Tables named by enums and derivations are
// read from kb.directory. Errors carry the file, line, column and JSON path
// and a suggestion where one exists; on any error nothing is added to `out`
// and false is returned (kb.enums may have grown).
bool load_templates(const std::string& file, KnowledgeBase& kb, TemplateSet& out, std::vector<DataError>& errors);
// The same over a text already read; `file` names it in errors.
bool load_templates_text(const std::string& text, const std::string& file, KnowledgeBase& kb, TemplateSet& out,
                         std::vector<DataError>& errors);

// Line and column (1-based; columns count UTF-8 characters) of the value at a
// JSON path in `text`, like {"templates", "program", "fields", "x", "type"}
// (array items as "[3]"); {0, 0} when the path is not there. For errors only:
// it scans the text.
std::pair<std::uint32_t, std::uint32_t> locate_json_path(const std::string& text,
                                                         const std::vector<std::string>& steps, bool key = false);

}  // namespace advise
