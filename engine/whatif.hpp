// What would change the advice: the smallest changes of a profile's
// actionable fields that reach a goal (`strategy=single`, a recommendation,
// a rule), each verified by evaluating the changed profile again.
//
// Which fields the applicant can change is in kb/schema.json ("actionable",
// KnowledgeBase::fields[i].actionable), overridable per query. Candidate
// values come from the rules themselves: the numbers the checked tests
// compare a field with (so a change lands exactly on `>= 260`), every value
// of an enum or boolean, and the items list tests look for. The search:
//
//  1. every single-field candidate is evaluated (the engine, in full);
//  2. for each rule that could reach the goal, its failing conjuncts each
//     need a change that makes them true; the smallest sets of changes that
//     cover them all (fewest fields, then smallest distance) are tried;
//  3. every change set reported was evaluated and reached the goal; it lists
//     what else it changes (conclusions, recommendations, rules that would
//     fire or stop firing, with the new values).
//
// When nothing is found, the answer says why: each rule that could reach the
// goal and the test it fails, with the fixed fields that test depends on.
// Library code: no printing; renderers are in engine/render_whatif.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "engine/explain.hpp"

namespace advise {

struct WhatIfOptions {
  int max_alternatives = 3;  // at most this many change sets
  int max_fields = 6;        // fields changed in one change set
  // The evaluations one query may make (a bound on time: about 20 µs each
  // for the bundled rules).
  std::size_t max_evaluations = 2000;
  // Per-run overrides of kb/schema.json: fields to treat as actionable (in
  // either direction) or as fixed.
  std::vector<std::string> actionable, fixed;
  EngineOptions engine;
};

// One field's change.
struct FieldChange {
  std::int32_t field = -1;
  std::string name;
  Value from, to;  // from: Missing when the profile leaves it out
  std::string from_display, to_display;
  double distance = 0;  // in the field's own units (items for lists, 1 for an enum, a boolean or a first value)
};

struct ConclusionChange {
  std::string name;
  Value from, to;
  std::string from_display, to_display;
};

// A rule that would fire, or stop firing, after the change, with the tests
// that decide it over the new values.
struct RuleChange {
  RuleRef rule;
  std::vector<TestRecord> tests;
};

struct WhatIfOutcome {
  std::vector<ConclusionChange> conclusions;  // in schema order
  std::vector<std::string> recommended, unrecommended;  // recommendation ids gained and lost
  std::vector<RuleChange> fire, stop;
  bool conflicts = false;  // the changed profile makes rules of equal priority contradict each other
};

struct Alternative {
  std::vector<FieldChange> changes;  // in schema order
  double distance = 0;
  WhatIfOutcome outcome;
};

// A field the search may not change, as the answer names it.
struct FixedField {
  std::string name;
  Value value;          // Missing when the profile leaves it out
  std::string display;  // its value
  std::string because;
};

// Why a rule that could reach the goal does not, and cannot be made to.
struct WhatIfBlocker {
  RuleRef rule;
  TestRecord test;                 // the first failing test no actionable change makes true
  std::vector<FixedField> fixed;   // the fixed fields it depends on (through conclusions too)
  bool only_fixed = false;         // it depends on nothing actionable: no change can make it true
};

struct FieldStatus {
  std::string name;
  bool actionable = false;
  std::string because;  // when fixed
};

struct WhatIf {
  // The rule set asked (Engine::rule_set): its RuleRefs read the rules from it.
  std::shared_ptr<const RuleSet> rules;
  std::string query;
  Goal goal;
  std::string error;        // the goal or an override names nothing known (diagnostic wording)
  bool already = false;     // the goal is already reached: nothing to change
  std::vector<Alternative> alternatives;
  // When there are none: why, for the applicant.
  Sentence reason;
  bool proven = false;      // no change of actionable fields can reach it (every rule needs a fixed field changed)
  std::vector<WhatIfBlocker> blockers;
  std::vector<FieldStatus> fields;  // every profile field, actionable or fixed, for this profile
  std::size_t evaluations = 0;      // engine evaluations made, the first included
  bool budget_exhausted = false;    // stopped at WhatIfOptions::max_evaluations
};

WhatIf what_if(const Engine& engine, const Profile& profile, const std::string& goal, const WhatIfOptions& options = {});

// The report's "what would change this" lines (ConclusionEntry::
// what_would_change for the advisor, PlainDecision::what_would_change in the
// applicant's words when the report has the applicant's view): for each conclusion with a "hoped_for" value it does
// not have, at most `max_lines`, a search for that value bounded by
// `max_evaluations`; the smallest verified change set, or, when none can
// exist, the fixed fields that stand in the way. Nothing when the search
// finds nothing certain within its bound.
// `evaluated` is the report's evaluation of `profile` with `eo` (its facts,
// its firing limit), which the searches start from and use.
void add_what_would_change(Report& report, const Engine& engine, const Profile& profile, const Result& evaluated,
                           const EngineOptions& eo, int max_lines = 3,
                           std::size_t max_evaluations = 400);

// Whether a rule over facts (a rule with patterns) writes a slot: when none
// does, the given facts change no slot's value, and the report's "what would
// change this" searches evaluate without them.
bool facts_reach_slots(const RuleSet& rules);

// Whether `field` is actionable for this profile (kb/schema.json and the
// overrides), and if not, why.
FieldStatus field_status(const KnowledgeBase& kb, const Profile& profile, std::int32_t field,
                         const WhatIfOptions& options);

}  // namespace advise
