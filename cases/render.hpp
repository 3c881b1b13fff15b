// What `advise test` says about a failing case, as text: the same report on
// the terminal and inside the JUnit XML (cases/junit.hpp). Case names, file
// names and the texts of case files go through the one sanitizer
// (kb/sanitize.hpp) as the report is written.
#pragma once

#include <string>

#include "cases/run.hpp"

namespace advise::cases {

// The report of one failing case:
//   FAIL t.cases:1: case "derm"
//     t.cases:4: expect strategy == single
//       actual: strategy = dual
//       strategy = dual was set by rule `dual_below_band` (...), because
//         ...
// With `updating` (--update), the failures --update wrote are left out and
// the others say that they must be edited by hand.
std::string failure_text(const CaseResult& r, bool updating);

// One line: the first problem or failing expectation, with its actual value.
std::string first_failure(const CaseResult& r);

// "UPDATED t.cases:4: expect strategy == dual  (was: expect strategy == single)"
std::string updated_text(const ExpectationFailure& f);

}  // namespace advise::cases
