// The checker: resolves names and types of parsed rule files against the
// knowledge base and produces the RuleSet the engine runs.
//
// Passes, in order: collect definitions (all files) -> resolve definitions
// (cycles detected) -> check rules (names, types, ranges, placeholders) ->
// whole-set checks (duplicate rules, conflicting conclusion types, unused
// definitions). Every problem goes to the Diagnostics sink; nothing stops at
// the first error.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostics.hpp"
#include "dsl/parser.hpp"
#include "dsl/ruleset.hpp"

namespace advise {

// A definition with the definitions it uses written out (each use counted)
// may have at most this many parts (names, numbers, operators...); beyond it,
// `definition-too-large`. Its height, each use of a definition adding one
// level, is limited to kMaxNesting (`nesting-too-deep`).
inline constexpr std::size_t kMaxDefinitionParts = 10000;

// Checks parsed files. Returns a RuleSet when there are no errors (warnings
// are allowed).
std::optional<RuleSet> check_rules(const LoadedRules& files, std::shared_ptr<const KnowledgeBase> kb,
                                   std::shared_ptr<const SourceManager> sources, Diagnostics& diags);
// The same, consuming `files`: each rule's tree is freed as soon as it is
// compiled, so that a large rule set never holds its whole AST and its whole
// RuleSet at once (docs/cli.md, "Limits": the memory of the rules).
std::optional<RuleSet> check_rules(LoadedRules&& files, std::shared_ptr<const KnowledgeBase> kb,
                                   std::shared_ptr<const SourceManager> sources, Diagnostics& diags);

// Convenience: load files/directories, parse and check.
std::optional<RuleSet> load_rule_set(const std::vector<std::string>& paths,
                                     std::shared_ptr<const KnowledgeBase> kb,
                                     std::shared_ptr<SourceManager> sources, Diagnostics& diags);

// The same check, keeping none of the compiled rules (`advise check
// --no-analysis` needs only the diagnostics): each rule is dropped once
// checked, its name kept for the duplicate check, so that the memory is the
// text, the diagnostics and a few bytes a rule (docs/cli.md, "Limits").
// Returns the number of rules when there are no errors.
std::optional<std::size_t> check_rule_files(const std::vector<std::string>& paths,
                                            std::shared_ptr<const KnowledgeBase> kb,
                                            std::shared_ptr<SourceManager> sources, Diagnostics& diags);

// Compiles one condition (a regression-test expectation, say) against a
// checked rule set's knowledge base and definitions. Errors go to `diags`.
std::optional<CExpr> check_condition(const ast::Expr& e, const RuleSet& rules, Diagnostics& diags);

}  // namespace advise
