// The case-file language (`advise test`, docs/testing.md): its grammar and
// parser. A case file is read line by line; a condition is the rule
// language's own expression (parse_expression), and names and strings are
// written as in rules (dsl/lexical.hpp).
//
//   case "derm long shot"
//     profile "../../examples/profiles/derm_long_shot.json"   # relative to the case file
//     expect strategy == dual                  # any condition, on the final facts
//     expect recommended dual_application      # / expect not recommended ID
//     expect fired dual_below_band             # / expect not fired RULE
//     expect strategy explained by dual_below_band
//   end
//
// Nothing here reads files, prints or exits: the text is in a SourceManager,
// problems go to a Diagnostics sink.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/source.hpp"

namespace advise::cases {

inline constexpr std::size_t kMaxCaseFileBytes = 16u * 1024u * 1024u;

enum class ExpectKind : std::uint8_t {
  Condition,    // expect CONDITION
  Recommended,  // expect [not] recommended ID
  Fired,        // expect [not] fired RULE
  ExplainedBy,  // expect CONCLUSION explained by RULE
  Program,      // expect program ID WORD... (the case's program list: tier, signal, contingency, unlisted)
};

struct Expectation {
  ExpectKind kind = ExpectKind::Condition;
  bool negated = false;  // `not recommended`, `not fired`
  ast::Loc loc;          // from `expect` to the end of the expectation (a trailing comment excluded)
  ast::Loc body;         // the expectation after `expect`: what --update rewrites
  ast::Expr condition;   // Condition: the condition; ExplainedBy: the conclusion (a name or name[key])
  ast::Ident id;         // Recommended: the recommendation id; Fired, ExplainedBy: the rule; Program: the program id
  std::vector<ast::Ident> words;  // Program: what the program's place must be (tier, signal, ...)
};

struct ProfileRef {
  ast::Loc loc;          // the quoted path, or the inline object from `{` to `}`
  bool is_inline = false;
  std::string path;      // as written, relative to the case file
  std::string json;      // the inline object's text
};

struct Case {
  std::string name;
  ast::Loc loc;          // the `case` keyword
  ast::Loc name_loc;
  ast::Loc end_loc;      // the `end` keyword (the end of the file when it is missing)
  std::optional<ProfileRef> profile;
  std::optional<ProfileRef> catalog;  // `catalog "FILE"`: a program catalog (CSV or JSON), relative to the case file
  std::vector<Expectation> expectations;
};

struct CaseFile {
  std::uint32_t file = 0;  // SourceManager id
  std::vector<Case> cases;
};

// Parses buffer `file_id`. Syntax errors go to `diags`; parsing goes on at
// the next line, so one run reports every error of a file.
CaseFile parse_case_file(const SourceManager& sm, std::uint32_t file_id, Diagnostics& diags);

// pegtl::analyze of the case-file grammar: the number of problems found
// (rules that can loop without consuming input); 0 when it is sound.
std::size_t analyze_case_grammar();

}  // namespace advise::cases
