// Running a compiled case (Engine::evaluate, then each expectation judged on
// the final facts) and what a failure says: the actual values, the
// derivation that produced them (engine/render_derivation.hpp), and the
// rewritten expectation `advise test --update` writes (apply_edits).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cases/suite.hpp"
#include "engine/engine.hpp"

namespace advise::cases {

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

}  // namespace advise::cases
