// Rule coverage of a regression suite (`advise test --coverage`).
//
// Two measures, over every case of the suite:
//  - rules fired: a rule is covered when it fired for at least one case;
//  - conditions: every test of every rule's condition (a leaf: a comparison,
//    membership, presence, or a boolean fact; `and`, `or` and `not` are not
//    tests) is evaluated on each case's final facts, and each firing's tests
//    on the facts as they were when it fired. A test is covered when the
//    suite saw it both true and false (unknown, a missing fact, counts as
//    neither).
// The CI gate is the first: `--min-coverage N` fails below N% of rules fired.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dsl/ruleset.hpp"
#include "engine/engine.hpp"

namespace advise::cases {

struct TestCoverage {
  std::int32_t rule = -1;
  const CExpr* test = nullptr;
  std::string text;   // as written, on one line
  std::string where;  // file:line
  bool seen_true = false, seen_false = false, seen_unknown = false;
  bool both() const { return seen_true && seen_false; }
};

struct RuleCoverage {
  std::int32_t rule = -1;
  std::size_t cases = 0;            // cases in which it fired
  std::vector<std::size_t> tests;   // indexes into Coverage::tests()
};

class Coverage {
 public:
  explicit Coverage(std::shared_ptr<const RuleSet> rules);

  // Records one case's result.
  void add(const Result& r);

  const RuleSet& rule_set() const { return *rules_; }
  std::size_t cases() const { return cases_; }
  const std::vector<RuleCoverage>& rules() const { return per_rule_; }
  const std::vector<TestCoverage>& tests() const { return tests_; }
  std::size_t rules_fired() const;
  std::size_t tests_both() const;
  // Whether fewer than `percent` % of the rules fired (exact, no rounding).
  bool below(double percent) const;

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::vector<RuleCoverage> per_rule_;
  std::vector<TestCoverage> tests_;
  std::size_t cases_ = 0;
};

// "98.5": one decimal, rounded down, so that 99.96% never shows as 100.0.
std::string format_percent(std::size_t part, std::size_t whole);

// The text report: the two figures, the rules no case fired, and the tests
// not seen both ways, each with file:line.
std::string coverage_text(const Coverage& c);
// The same as one JSON document (docs/testing.md), 2-space indent.
std::string coverage_json(const Coverage& c, std::size_t passed, std::size_t failed);

}  // namespace advise::cases
