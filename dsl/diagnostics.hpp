// Diagnostics: collected in a sink, sorted by position, rendered as
//   file:line:col: error: message [kind]
//     <source line>
//     ^~~~~~
// Library code only collects; app/ decides where to print.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/box.hpp"
#include "dsl/source.hpp"
#include "kb/suggest.hpp"

namespace advise {

enum class Severity : std::uint8_t { Error, Warning, Note };

enum class DiagKind : std::uint8_t {
#define X(id, name, sev, help) id,
#include "dsl/diagnostic_kinds.def"
#undef X
};

struct DiagKindInfo {
  DiagKind kind;
  std::string_view name;
  Severity severity;
  std::string_view help;
};

const DiagKindInfo& kind_info(DiagKind k);
const std::vector<DiagKindInfo>& all_kinds();
std::string_view severity_name(Severity s);

struct DiagNote {
  ast::Loc loc;
  bool has_loc = true;
  std::string message;
};

// How a diagnostic's message is made when it is not kept as text
// (Diagnostic::made): from its kind and its location in the source, which is
// kept anyway. A large rule set may keep a warning per rule (a
// `missing-source` for each `if` rule): its message, about 80 bytes, is
// built when printed.
enum class MadeMessage : std::uint8_t {
  None,          // the message is Diagnostic::message
  NamedRule,     // missing-source: the rule's name is the text at `loc`
  ShortFormRule, // missing-source: the rule is an `if` rule at `loc` (its name: short_rule_name)
};

// 56 bytes: a large rule set may keep a warning per rule, so the parts most
// diagnostics lack (a file name, notes, a witness) live behind one pointer,
// made on the first write through a non-const accessor.
struct Diagnostic {
  struct Rare {
    std::string file_name;  // used when !has_loc
    std::vector<DiagNote> notes;
    std::string witness;  // a profile (JSON text) showing an analysis finding; empty when none
  };
  DiagKind kind{};
  Severity severity{};
  bool has_loc = true;  // false for whole-run problems (a path that does not exist)
  MadeMessage made = MadeMessage::None;  // not None: `message` is empty, message_text() makes it
  ast::Loc loc;
  std::string message;
  Box<Rare> rare;

  const std::string& file_name() const { return rare ? rare->file_name : no_string(); }
  std::string& file_name() { return rare.make().file_name; }
  const std::vector<DiagNote>& notes() const { return rare ? rare->notes : no_notes(); }
  std::vector<DiagNote>& notes() { return rare.make().notes; }
  const std::string& witness() const { return rare ? rare->witness : no_string(); }
  std::string& witness() { return rare.make().witness; }

 private:
  static const std::string& no_string() {
    static const std::string empty;
    return empty;
  }
  static const std::vector<DiagNote>& no_notes() {
    static const std::vector<DiagNote> empty;
    return empty;
  }
};
static_assert(sizeof(Diagnostic) <= 56);

class Diagnostics {
 public:
  Diagnostic& report(DiagKind kind, ast::Loc loc, std::string message);
  Diagnostic& report_file(DiagKind kind, std::string file, std::string message);
  const std::deque<Diagnostic>& all() const { return diags_; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool has_errors() const { return error_count() > 0; }
  // Sorts by file id, then position, keeping insertion order for ties.
  void sort();
  void clear() { diags_.clear(); }
  // `advise check --strict`: every warning becomes an error.
  void promote_warnings();
  void append(const Diagnostics& other);
  // The same, emptying `other` as it goes: its blocks are freed while these grow.
  void append(Diagnostics&& other);
  void append_one(Diagnostic d) { diags_.push_back(std::move(d)); }

 private:
  // A deque, not a vector: a check of a large rule set may keep a warning per
  // rule, and a vector's growth would hold its old and new arrays at once.
  std::deque<Diagnostic> diags_;
};

// The name an `if` rule (a rule without a name) gets: its file's name without
// folder and extension, `_line_` and its line, e.g. `step2_line_12`.
std::string short_rule_name(const SourceManager& sm, const ast::Loc& rule);
// The `missing-source` message for rule `rule`, made or kept (one wording).
std::string missing_source_message(std::string_view rule);
// A diagnostic's message: `d.message`, or the one it makes (Diagnostic::made).
std::string message_text(const SourceManager& sm, const Diagnostic& d);

// Renders one diagnostic with its source line and an underline under the span.
std::string render_text(const SourceManager& sm, const Diagnostic& d);
std::string render_text(const SourceManager& sm, const Diagnostics& ds);
// A JSON array (as text) for editors and CI: file, line, column, end_line,
// end_column, severity, kind, message, help, notes, and witness (a profile
// object) for the analysis' findings.
std::string render_json(const SourceManager& sm, const Diagnostics& ds);
// One element of that array, written by `w` (kb/json_writer.hpp), so that a
// caller can write a large array a piece at a time (`advise check --format
// json`): the same bytes as render_json's.
class JsonWriter;
void write_json(JsonWriter& w, const SourceManager& sm, const Diagnostic& d);

}  // namespace advise
