// Parsing rule files into ast::File.
//
// parse_source() parses one buffer already in the SourceManager; parse errors
// are reported into `diags` and parsing recovers at the next top-level item,
// so one run reports every syntax error of a file. load_rules() reads files
// and directories from disk, follows `include` (relative to the including
// file, cycles detected) and returns every file's AST.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/source.hpp"

namespace advise {

inline constexpr std::size_t kMaxSourceBytes = 16u * 1024u * 1024u;
inline constexpr int kMaxNesting = 256;
// Skipped when it opens a file (both parsers); an error anywhere else.
inline constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Receives each rule as soon as it is parsed (parse_source with a sink),
// instead of File::rules: a large rule set is then checked rule by rule and
// never holds its whole parsed tree (load_rule_set, dsl/checker.cpp).
// `so_far` is the file being parsed, with the items before the rule.
class RuleSink {
 public:
  // True when the sink took the rule (and may have moved from it); false
  // when the file is to keep it (File::rules and File::items), untouched.
  virtual bool rule(ast::Rule& r, const ast::File& so_far) = 0;

 protected:
  ~RuleSink() = default;
};

// Parses buffer `file_id`. The returned File holds every item that parsed;
// items with syntax errors are skipped after their diagnostic. With a sink,
// the rules it takes go to it, and neither File::rules nor File::items holds
// them.
ast::File parse_source(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags,
                       RuleSink* sink = nullptr);

// How parse_expression's syntax errors name what surrounds its text: the
// end of the text (a placeholder's is "the closing `}`", a case file's
// condition's "the end of the line"), what may follow a whole expression, and
// advice added to that error. Each caller words its own; no message is
// edited after the fact.
struct ExprSurroundings {
  std::string_view end = "the end of the file";
  std::string_view after = "something else";
  std::string_view after_advice;  // "; write one expectation per line"
};

// Parses a single expression (`{placeholders}` in texts, the conditions of
// case files). Locations are offset by `base` within file `file_id`. Returns
// false on a syntax error, with its message and offset.
bool parse_expression(std::string_view text, std::uint32_t file_id, std::uint32_t base, ast::Expr& out,
                      std::string& error, std::uint32_t& error_offset, const ExprSurroundings& around);
// The same, with the default surroundings.
bool parse_expression(std::string_view text, std::uint32_t file_id, std::uint32_t base,
                      ast::Expr& out, std::string& error, std::uint32_t& error_offset);

struct LoadedRules {
  // In load order: each file before the files it includes. A deque: a
  // File's move may throw (its deque of rules), so a vector would copy every
  // file, trees and all, each time it grew.
  std::deque<ast::File> files;
};

// What load_rules does with the rules as it parses them (null: keeps them in
// File::rules). A `.rules` file's rules go to sink() while it is parsed;
// another file's (given by name, whose first problem alone is reported) are
// kept until it is accepted, then handed over. begin() comes before a file is
// parsed, with an upper bound of its number of rules; accepted() after it is
// kept, before the files it includes are read.
class RuleStream : public RuleSink {
 public:
  virtual void begin(std::size_t most_rules) = 0;
  virtual void accepted(const ast::File& file) = 0;

 protected:
  ~RuleStream() = default;
};

// Reads `paths` (files, or directories searched for *.rules in sorted order),
// follows includes, and parses everything. I/O problems, size and UTF-8
// checks, include errors and syntax errors all go to `diags`.
LoadedRules load_rules(const std::vector<std::string>& paths, SourceManager& sm, Diagnostics& diags,
                       RuleStream* stream = nullptr);

// An upper bound of the number of rules in `text`: the words `rule` and `if`
// (every rule starts with one), wherever they are.
std::size_t most_rules(std::string_view text);

// Checks a buffer before parsing: size, UTF-8 validity, NUL bytes.
// Returns false (with a diagnostic) when it must not be parsed.
bool check_encoding(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags);

}  // namespace advise
