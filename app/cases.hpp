// Regression cases for rule sets (`advise test`, docs/testing.md).
//
// Pipeline: case file text (SourceManager) -> CaseFile (parse_case_file, a
// small PEGTL grammar of lines whose conditions are the rule language's own
// expressions, read by parse_expression) -> Suite (load_suite: profiles
// loaded, every expectation compiled against the checked RuleSet with
// check_condition) -> CaseResult per case (run_case: Engine::evaluate, then
// each expectation judged on the final facts, failures explained with the
// derivation of the actual values) -> reports (app/cmd_test.cpp), coverage
// (app/coverage.hpp), JUnit XML (app/junit.hpp), rewritten expectations
// (plan_updates / apply_edits).
//
//   case "derm long shot"
//     profile "../../examples/profiles/derm_long_shot.json"   # relative to the case file
//     expect strategy == dual                  # any condition, on the final facts
//     expect recommended dual_application      # / expect not recommended ID
//     expect fired dual_below_band             # / expect not fired RULE
//     expect strategy explained by dual_below_band
//   end
//
// Nothing here prints or exits: problems go to a Diagnostics sink, results
// are returned as data and text lines.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dsl/ast.hpp"
#include "dsl/diagnostics.hpp"
#include "dsl/ruleset.hpp"
#include "engine/engine.hpp"
#include "engine/explain.hpp"
#include "kb/facts.hpp"
#include "kb/profile.hpp"

namespace advise::cases {

inline constexpr std::size_t kMaxCaseFileBytes = 16u * 1024u * 1024u;

// ---------------------------------------------------------------- syntax

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

// ---------------------------------------------------------------- compiled suite

struct CompiledExpectation {
  const Expectation* source = nullptr;
  CExpr condition;           // Condition
  CExpr subject;             // ExplainedBy: a conclusion slot, or MapGet(slot, constant key)
  std::int32_t rule = -1;    // Fired, ExplainedBy
};

struct CompiledCase {
  const Case* source = nullptr;
  std::size_t file = 0;      // index into Suite::files
  std::string file_name;     // as shown
  Profile profile;
  // The case's catalog and the kb's signal allowances (`catalog "FILE"`), as
  // facts; null without a catalog.
  std::shared_ptr<const std::vector<FactRecord>> facts;
  std::vector<CompiledExpectation> expectations;
};

struct Suite {
  std::shared_ptr<const RuleSet> rules;
  std::vector<std::string> file_names;          // as shown, in run order
  std::vector<std::unique_ptr<CaseFile>> files;  // parallel to file_names (stable addresses)
  std::vector<CompiledCase> cases;              // the selected cases, in file order
  std::size_t expectation_count() const;
};

// Reads case files and compiles them against `rules`, whose source manager
// must be `sources` (case files are added to it, so that diagnostics about
// expectations can quote them). A path is a `.cases` file, a directory
// (searched for `*.cases`, sorted), or `FILE:LINE` to select the one case
// around that line. Returns nothing when any file has an error.
std::optional<Suite> load_suite(const std::vector<std::string>& paths, std::shared_ptr<const RuleSet> rules,
                                SourceManager& sources, Diagnostics& diags);

// Same, from text already in `sources` (for tests and stdin).
std::optional<Suite> load_suite_from_buffers(const std::vector<std::uint32_t>& file_ids,
                                             std::shared_ptr<const RuleSet> rules, SourceManager& sources,
                                             Diagnostics& diags);

// ---------------------------------------------------------------- running

// A text edit of a case file, for --update.
struct Edit {
  ast::Loc span;
  std::string text;
};

struct ExpectationFailure {
  const Expectation* expectation = nullptr;
  std::string where;                // file:line of the expectation
  std::string expected;             // "expect strategy == single", as written
  std::vector<std::string> actual;  // "strategy = dual", one per fact the expectation reads
  std::vector<std::string> explanation;  // indented lines: which rules produced the actual values
  std::optional<Edit> update;       // what --update writes, when the outcome can be written down
  std::string updated;              // the expectation as --update writes it ("expect strategy == dual")
};

struct CaseResult {
  const CompiledCase* test = nullptr;
  std::string where;                // file:line of the `case` line
  std::size_t expectations = 0;
  std::vector<ExpectationFailure> failures;
  std::vector<std::string> problems;  // the rules conflict or run away for this profile
  bool passed() const { return failures.empty() && problems.empty(); }
};

// Evaluates one case; `result` receives the engine's result (for coverage).
CaseResult run_case(const CompiledCase& test, const Engine& engine, Result& result);

// The edits of `failures` that fall in file `file`, applied to its text
// (non-overlapping, in order).
std::string apply_edits(const std::string& text, std::vector<Edit> edits);

// ---------------------------------------------------------------- explanations

// Whether the derivation mentions rule `rule` (as the rule that set a fact,
// one that also added to it, or anywhere among its premises).
bool mentions_rule(const Derivation& d, std::int32_t rule);

// Indented text of a derivation:
//   strategy = dual, set by rule `dual_below_band` (rules/x.rules:12, Step 5.1) because
//     step2ck < competitive_step2  [step2ck = 240]
// Facts explained once are "(explained above)" the next time when `shown`
// is shared between calls.
void render_derivation(const Derivation& d, const RuleSet& rules, const std::string& label, int indent,
                       int max_depth, std::vector<std::string>& out, std::set<std::int32_t>* shown = nullptr);
// "step2ck < 250  [step2ck = 240]"; with `truth`, "... is false".
std::string render_test(const TestRecord& t, const RuleSet& rules, bool with_truth);
// "rule `x` (rules/x.rules:12, Step 5.1)"
std::string render_rule(const RuleRef& r);
// A value as the rule language writes it: dual, 80..100, [a, b]; "missing".
std::string source_value(const Value& v, const RuleSet& rules);

}  // namespace advise::cases
