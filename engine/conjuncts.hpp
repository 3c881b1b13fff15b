// Internal to engine/: the interned conjuncts of the single-record rules.
#pragma once

#include <cstdint>
#include <span>
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
//
// Rows of numbers in one array, row i being items[start[i] .. start[i + 1]):
// 4 bytes a row and 4 an item, where a vector a row took 24 bytes and a
// block of at least 32 (about 56 bytes a rule for conj_of).
struct Rows {
  std::vector<std::uint32_t> start{0};
  std::vector<std::int32_t> items;
  std::span<const std::int32_t> operator[](std::size_t i) const {
    return {items.data() + start[i], items.data() + start[i + 1]};
  }
  std::size_t size() const { return start.size() - 1; }
};

struct ConjunctIndex {
  std::vector<const CExpr*> conj;                  // distinct conjuncts
  std::vector<std::vector<std::int32_t>> of_slot;   // slot -> conjuncts reading it
  Rows conj_of;                                     // rule -> its distinct conjuncts, in condition order (none: a rule over facts)
  // The conjunct each rule watches when an evaluation starts: its last (the
  // test written last is usually the one most particular to the rule), and,
  // by conjunct, the rules that start watching it, in rule order.
  std::vector<std::int32_t> first_watch;
  Rows watchers;
};
ConjunctIndex index_conjuncts(const RuleSet& rs);

}  // namespace advise
