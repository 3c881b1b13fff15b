// Static analysis of a checked rule set (`advise check`, docs/language.md,
// "What the analysis finds"): conflicts at equal priority, rules that can
// never fire, loops, numbers in texts that repeat a constant, and placeholders
// that may be missing when their rule fires.
//
// The analysis reasons over the conditions' typed values: for every profile
// field it reads it tries the values that decide each test (the constants the
// rules compare with and their neighbours, the field's bounds, every value of
// an enum, and "missing"), pruning with the language's three-valued logic
// (a test over a value not yet chosen may still be true, false or unknown).
// A finding about what a profile does (a conflict, a loop, a missing
// placeholder) is printed only with a witness profile on which the engine was
// run and showed it; a dead rule is one whose condition no choice of values
// makes true. Library code: findings go to the Diagnostics sink as warnings
// (shadowed conflicts as notes), each with its witness as JSON text.
#pragma once

#include <cstddef>
#include <memory>

#include "dsl/diagnostics.hpp"
#include "dsl/ruleset.hpp"

namespace advise {

struct AnalysisOptions {
  // Also report conflicts that a higher priority settles (`shadowed`, a note).
  bool shadowed = false;
  // The most engine runs spent looking for one witness; past it the finding
  // is not reported (the analysis reports only what it has shown).
  std::size_t runs_per_question = 48;
  // The most choices of values tried for one question.
  std::size_t steps_per_question = 20000;
  // The whole analysis' budget: past it the analysis stops (a huge rule set
  // is checked, not analysed to the end) and says so in its stats.
  std::size_t total_steps = 4000000;
  std::size_t total_runs = 20000;
  std::size_t total_pairs = 200000;
};

struct AnalysisStats {
  std::size_t questions = 0;
  std::size_t engine_runs = 0;
  std::size_t steps = 0;
  bool incomplete = false;  // the budget ran out: some findings may be missing
};

// Appends the findings to `diags`. Deterministic: the same rules give the
// same findings with the same witnesses.
AnalysisStats analyze_rules(const std::shared_ptr<const RuleSet>& rules, const AnalysisOptions& options,
                            Diagnostics& diags);

}  // namespace advise
