// Internal to engine/: the interned conjuncts of the single-record rules.
#pragma once

#include <cstdint>
#include <vector>

#include "dsl/ruleset.hpp"

namespace advise {

// The top-level conjuncts of the single-record rules' conditions, interned
// across the rule set (docs/engine.md, "Rules over the applicant alone"): a
// conjunct written identically in many rules is tested once per change of a
// slot it reads. Each rule *watches* one of its conjuncts that is not true
// (as SAT solvers watch literals): only a change of that conjunct to true
// makes the engine look at the rule, to watch another one or, when all are
// true, to put its activation on the agenda. A rule that does not match
// therefore costs nothing while its watched conjunct stays false, however
// many of its other conjuncts become true.
struct ConjunctIndex {
  std::vector<const CExpr*> conj;                  // distinct conjuncts
  std::vector<std::vector<std::int32_t>> of_slot;   // slot -> conjuncts reading it
  std::vector<std::vector<std::int32_t>> conj_of;   // rule -> its distinct conjuncts, in condition order (none: a rule over facts)
  // The conjunct each rule watches when an evaluation starts: its last (the
  // test written last is usually the one most particular to the rule), and,
  // by conjunct, the rules that start watching it, in rule order.
  std::vector<std::int32_t> first_watch;
  std::vector<std::vector<std::int32_t>> watchers;
};
ConjunctIndex index_conjuncts(const RuleSet& rs);

}  // namespace advise
