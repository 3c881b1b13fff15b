// Derivations and tests as indented text, in the rule language's own words:
// the failures of `advise test` (cases/run.hpp) and the changes of `advise
// diff` (engine/render_diff.hpp) both say which rule set a value and which
// tests held.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "dsl/ruleset.hpp"
#include "engine/explain.hpp"

namespace advise {

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

}  // namespace advise
