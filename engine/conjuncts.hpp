// Internal to engine/: the interned conjuncts of the single-record rules.
#pragma once

#include <cstdint>
#include <vector>

#include "dsl/ruleset.hpp"

namespace advise {

// The top-level conjuncts of the single-record rules' conditions, interned
// across the rule set (docs/engine.md, "Rules over the applicant alone"): a
// conjunct written identically in many rules is tested once per change of a
// slot it reads, and each rule keeps the number of its conjuncts that are not
// true; it is a candidate for the agenda when that number is zero. Rules that
// do not match then cost a counter, not a test of their condition.
struct ConjunctIndex {
  std::vector<const CExpr*> conj;                  // distinct conjuncts
  std::vector<std::vector<std::int32_t>> rules_of;  // conjunct -> rules containing it (once each)
  std::vector<std::vector<std::int32_t>> of_slot;   // slot -> conjuncts reading it
  std::vector<std::int32_t> count;                  // rule -> its distinct conjuncts (0: a rule over facts)
  // The `advise` order of the single-record rules, fixed when the rule set is
  // (priority, then specificity, then source order): rank -> rule, rule -> rank.
  std::vector<std::int32_t> by_rank, rank;
};

ConjunctIndex index_conjuncts(const RuleSet& rs);

}  // namespace advise
