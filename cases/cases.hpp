// Regression cases for rule sets (`advise test`, docs/testing.md), a library
// of its own (advise_cases), by job:
//
//   cases/syntax.hpp   case file text (SourceManager) -> CaseFile: a small
//                      PEGTL grammar of lines whose conditions are the rule
//                      language's own expressions (parse_expression)
//   cases/suite.hpp    CaseFile -> Suite (load_suite: profiles and catalogs
//                      read through SuiteEnv, every expectation compiled
//                      against the checked RuleSet with check_condition)
//   cases/run.hpp      Suite case -> CaseResult (run_case: Engine::evaluate,
//                      each expectation judged on the final facts, failures
//                      explained with the derivation of the actual values
//                      through WorkingMemory, engine/working_memory.hpp), and
//                      the rewritten expectations of --update (apply_edits)
//   cases/render.hpp   a failing case as text
//   cases/coverage.hpp rule and condition coverage of a suite
//   cases/junit.hpp    JUnit XML
//
// Nothing here prints or exits: problems go to a Diagnostics sink, results
// are returned as data and text. The command (app/cmd_test.cpp) gives the
// file access (SuiteEnv), prints, and writes files.
#pragma once

#include "cases/coverage.hpp"
#include "cases/junit.hpp"
#include "cases/render.hpp"
#include "cases/run.hpp"
#include "cases/suite.hpp"
#include "cases/syntax.hpp"
