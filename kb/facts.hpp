// Facts of declared templates (kb/template.hpp), read from files: JSON, CSV
// with a header row, and the CLIPS fact syntax (docs/facts.md).
//
// Every reader validates as the profile loader does: each problem is
// reported with the file, line and column, where it is (a JSON path, a CSV
// row and column, a fact's number), what was expected and a suggestion where
// one exists (field and template names, enum values, spreadsheet pitfalls);
// nothing is silently dropped. A read is all or nothing: on any problem no
// record is added. Reading is linear in the text.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/profile.hpp"
#include "kb/template.hpp"

namespace advise {

// The largest facts file (a catalog of 10,000 programs is about 3 MB as CSV).
inline constexpr std::size_t kMaxFactsBytes = 256u * 1024u * 1024u;
// The most records one read may add.
inline constexpr std::size_t kMaxFactRecords = 1'000'000;
// The most columns of a CSV file (`x_` columns included).
inline constexpr std::size_t kMaxFactColumns = 1000;
// The longest value (one cell, one JSON string, one CLIPS token), in bytes.
inline constexpr std::size_t kMaxFactValueBytes = 64u * 1024u;
// A read stops after this many problems (and says so).
inline constexpr std::size_t kMaxFactProblems = 100;

// Where a record came from, for explanations.
struct FactOrigin {
  std::shared_ptr<const std::string> file;
  std::uint32_t line = 0, column = 0;  // where the record starts
  // `$.program[3]` or `$[3]` (JSON), `row 14` (CSV: the spreadsheet's row,
  // comment and header rows counted), `fact 3` (CLIPS: the third fact).
  std::string where;
  std::string text() const;  // programs.csv:14:1 (row 14)
};

struct FactRecord {
  std::int32_t tmpl = -1;     // index into TemplateSet::templates
  std::vector<Value> values;  // indexed like the template's fields; Missing = unknown
  FactOrigin origin;
};

// JSON: an array of objects each naming its template in a `template` key,
// or an object of arrays keyed by template name. Keys starting with `$` are
// comments (at the top level and in records); keys starting with `x_` in a
// record are ignored. Unknown is a key left out (null is an error).
bool read_facts_json(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                     const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& errors);

// CSV (RFC 4180) of one template: a header row naming fields (any order;
// `x_` columns ignored), `#` comment lines, a UTF-8 byte-order mark, an
// empty cell for unknown.
// A file of 1 MiB or more is read in two halves at once (kb/parallel.hpp)
// when its middle can be cut at a row's start; the records, their places and
// every message are those of one pass (a half with a problem or a warning
// reads the file again in one pass, which the tests call directly).
bool read_facts_csv(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                    const TemplateSet& templates, int tmpl, std::vector<FactRecord>& out,
                    std::vector<DataError>& errors);
bool read_facts_csv_one_pass(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                             const TemplateSet& templates, int tmpl, std::vector<FactRecord>& out,
                             std::vector<DataError>& errors);

// CLIPS facts: `(guest (name n1) (sex f) (hobby h3))`, any number per line,
// `;` comments. A slot holds one symbol, number or string, read by the
// field's type; a slot left out is unknown.
bool read_facts_clips(const std::string& text, const std::string& file, const KnowledgeBase& kb,
                      const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& errors);

// Reads a file by its extension: `.json`; `.csv`, of the template
// `template_name` (which only CSV takes); `.fct` or `.clp`, CLIPS facts.
bool read_facts_file(const std::string& path, const std::string& template_name, const KnowledgeBase& kb,
                     const TemplateSet& templates, std::vector<FactRecord>& out, std::vector<DataError>& errors);
// The same over the file's text, already read (the catalog cache,
// dsl/fact_cache.hpp): the same records and messages as read_facts_file
// gives when it reads `text` from `path`.
bool read_facts_text(const std::string& text, const std::string& path, const std::string& template_name,
                     const KnowledgeBase& kb, const TemplateSet& templates, std::vector<FactRecord>& out,
                     std::vector<DataError>& errors);

// Warnings for the profile's `program_connections` whose program id no
// `program` record of `records` holds (a connection that counts for nothing),
// each at the connection's JSON path (no line: the caller locates it in the
// profile's text), with the closest id held as a suggestion; in the
// order of their ids. Nothing when the templates have no `program`.
std::vector<DataError> connection_warnings(const Profile& profile, const TemplateSet& templates,
                                           const std::vector<FactRecord>& records);

// How many records of template `tmpl` leave each field unknown (`none` is
// known), in field order, the derived `_none` flags left out.
struct UnknownCount {
  std::string field;
  std::size_t unknown = 0;
  std::size_t records = 0;
};
std::vector<UnknownCount> unknown_counts(const TemplateSet& templates, int tmpl, const std::vector<FactRecord>& records);

// A record as JSON, in the form read_facts_json reads (fields in template
// order, unknown left out, `none` as "none", with a `template` key first).
nlohmann::ordered_json fact_to_json(const KnowledgeBase& kb, const TemplateSet& templates, const FactRecord& record);

// The record's key as people read it: `program_id 0800390001, track advanced`
// (the first field when the template declares no key).
std::string fact_key_text(const KnowledgeBase& kb, const TemplateSet& templates, const FactRecord& record);
// The same for a record's values of template `t` (working-memory records).
std::string fact_key_text(const KnowledgeBase& kb, const TemplateDef& t, std::span<const Value> values);

}  // namespace advise
