// What would change the advice (engine/whatif.hpp): on small rule sets whose
// answer is known, the smallest change set is found, lands exactly on the
// rules' thresholds, respects what the schema lets change, and is verified.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "dsl/checker.hpp"
#include "engine/whatif.hpp"
#include "kb/facts.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

// "publications: 1 -> 4; observerships: 0 -> 3"
std::string changes(const Alternative& a) {
  std::string out;
  for (const FieldChange& c : a.changes) out += (out.empty() ? "" : "; ") + c.name + ": " + c.from_display + " -> " + c.to_display;
  return out;
}

WhatIf ask(const std::string& rules, const std::string& profile, const std::string& goal, WhatIfOptions o = {}) {
  Engine e(compile_rules(rules));
  return what_if(e, load_test_profile(profile), goal, o);
}

}  // namespace

TEST_CASE("what-if: numbers land exactly on the thresholds the tests compare with") {
  auto w = ask(R"(
rule r "" source "t" when publications >= 4 and observerships > 2 then set strategy = single end
)", R"({"publications": 1, "observerships": 0})", "strategy=single");
  REQUIRE(w.error.empty());
  REQUIRE(w.alternatives.size() == 1);
  CHECK(changes(w.alternatives[0]) == "publications: 1 -> 4; observerships: 0 -> 3");
  CHECK(w.alternatives[0].outcome.conclusions.size() == 1);
  CHECK(w.alternatives[0].outcome.conclusions[0].to_display == "single");
  REQUIRE(w.alternatives[0].outcome.fire.size() == 1);
  CHECK(w.alternatives[0].outcome.fire[0].rule.name() == "r");
}

TEST_CASE("what-if: fewest fields first, then the smallest distance") {
  const char* rules = R"(
rule two "" source "t" when publications >= 5 and us_letters_in_specialty >= 3 then set strategy = single end
rule far "" source "t" when programs_know_you >= 10 then set strategy = single end
rule near "" source "t" when observerships >= 3 then set strategy = single end
)";
  WhatIfOptions o;
  o.max_alternatives = 5;
  auto w = ask(rules, R"({"publications": 0, "us_letters_in_specialty": 0, "programs_know_you": 0, "observerships": 0})",
               "strategy=single", o);
  REQUIRE(w.alternatives.size() == 3);
  CHECK(changes(w.alternatives[0]) == "observerships: 0 -> 3");
  CHECK(changes(w.alternatives[1]) == "programs_know_you: 0 -> 10");
  CHECK(changes(w.alternatives[2]) == "publications: 0 -> 5; us_letters_in_specialty: 0 -> 3");
  o.max_alternatives = 1;
  auto one = ask(rules, R"({"publications": 0, "us_letters_in_specialty": 0, "programs_know_you": 0, "observerships": 0})",
                 "strategy=single", o);
  CHECK(one.alternatives.size() == 1);
}

TEST_CASE("what-if: booleans and enums are tried over their values; lists gain the items tests look for") {
  WhatIfOptions o;
  o.actionable = {"risk_tolerance"};
  auto w = ask(R"(
rule r "" source "t" when can_relocate and risk_tolerance is high and core_rotations_done contains surgery
  then set strategy = single end
)", R"({"can_relocate": false, "risk_tolerance": "low", "core_rotations_done": ["pediatrics"]})", "strategy=single", o);
  REQUIRE(w.alternatives.size() == 1);
  CHECK(changes(w.alternatives[0]) ==
        "core_rotations_done: pediatrics -> pediatrics and surgery; can_relocate: no -> yes; risk_tolerance: low -> high");
}

TEST_CASE("what-if: fixed fields never change, and the answer says which test needs them") {
  auto w = ask(R"(
rule r "" source "t" when citizenship is us_citizen and publications >= 2 then set strategy = single end
)", R"({"citizenship": "permanent_resident", "publications": 0})", "strategy=single");
  CHECK(w.alternatives.empty());
  CHECK(w.proven);
  REQUIRE(w.blockers.size() == 1);
  CHECK(w.blockers[0].rule.name() == "r");
  CHECK(w.blockers[0].test.text == "citizenship is us_citizen");
  REQUIRE(w.blockers[0].fixed.size() == 1);
  CHECK(w.blockers[0].fixed[0].name == "citizenship");
  CHECK(w.reason.plain() ==
        "No change of actionable fields reaches this goal: every rule that could reach it has a test that only fixed "
        "fields decide");
}

TEST_CASE("what-if: Step 2 CK changes only while not taken or after a failing score") {
  const char* rules = R"(rule r "" source "t" when step2ck >= 260 then set strategy = single end)";
  auto passed = ask(rules, R"({"step2ck": 252})", "strategy=single");
  CHECK(passed.alternatives.empty());
  CHECK(passed.proven);
  auto not_taken = ask(rules, R"({})", "strategy=single");
  REQUIRE(not_taken.alternatives.size() == 1);
  CHECK(changes(not_taken.alternatives[0]) == "step2ck: (not given) -> 260");
  auto failed = ask(rules, R"({"step2ck": 200})", "strategy=single");
  REQUIRE(failed.alternatives.size() == 1);
  CHECK(changes(failed.alternatives[0]) == "step2ck: 200 -> 260");
  CHECK(failed.alternatives[0].changes[0].distance == 60);
  WhatIfOptions o;
  o.actionable = {"step2ck"};  // an advisor's override
  auto overridden = ask(rules, R"({"step2ck": 252})", "strategy=single", o);
  REQUIRE(overridden.alternatives.size() == 1);
  CHECK(changes(overridden.alternatives[0]) == "step2ck: 252 -> 260");
}

TEST_CASE("what-if: a field that may only go down is searched downwards") {
  auto w = ask(R"(rule r "" source "t" when unexplained_gap_months < 3 then set research_year = not_needed end)",
               R"({"unexplained_gap_months": 10})", "research_year=not_needed");
  REQUIRE(w.alternatives.size() == 1);
  CHECK(changes(w.alternatives[0]) == "unexplained_gap_months: 10 -> 2");
  auto up = ask(R"(rule r "" source "t" when publications < 3 then set research_year = not_needed end)",
                R"({"publications": 10})", "research_year=not_needed");
  CHECK(up.alternatives.empty());  // publications only grow
}

TEST_CASE("what-if: a rule of higher priority that sets another value must stop too; the change set is verified") {
  auto w = ask(R"(
rule single "" source "t" when publications >= 2 then set strategy = single end
rule dual "" source "t" priority 10 when observerships < 1 then set strategy = dual end
)", R"({"publications": 0, "observerships": 0})", "strategy=single");
  REQUIRE(w.alternatives.size() == 1);
  CHECK(changes(w.alternatives[0]) == "publications: 0 -> 2; observerships: 0 -> 1");
  REQUIRE(w.alternatives[0].outcome.stop.size() == 1);
  CHECK(w.alternatives[0].outcome.stop[0].rule.name() == "dual");
}

TEST_CASE("what-if: recommendations and rules are goals too; a goal reached already needs nothing") {
  const char* rules = R"(
rule r "" source "t" when abstracts_posters >= 2 then recommend research posters: "Keep presenting." end
)";
  auto rec = ask(rules, R"({"abstracts_posters": 0})", "posters");
  REQUIRE(rec.alternatives.size() == 1);
  CHECK(changes(rec.alternatives[0]) == "abstracts_posters: 0 -> 2");
  CHECK(rec.alternatives[0].outcome.recommended == std::vector<std::string>{"posters"});
  auto rule = ask(rules, R"({"abstracts_posters": 0})", "r");
  REQUIRE(rule.alternatives.size() == 1);
  auto already = ask(rules, R"({"abstracts_posters": 5})", "posters");
  CHECK(already.already);
  CHECK(already.alternatives.empty());
  CHECK(already.evaluations == 1);
}

TEST_CASE("what-if: no rule can produce the goal") {
  auto w = ask(R"(rule r "" source "t" when publications >= 2 then set strategy = dual end)", R"({})", "strategy=single");
  CHECK(w.alternatives.empty());
  CHECK(w.reason.plain() == "No rule can produce it");
}

TEST_CASE("what-if: overrides must name profile fields, once") {
  const char* rules = R"(rule r "" source "t" when publications >= 2 then set strategy = single end)";
  WhatIfOptions o;
  o.fixed = {"publication"};
  CHECK(ask(rules, "{}", "strategy=single", o).error == "no profile field is called `publication`; did you mean `publications`?");
  o.fixed = {"publications"};
  o.actionable = {"publications"};
  CHECK(ask(rules, "{}", "strategy=single", o).error == "`publications` is named both actionable and fixed; name it once");
  CHECK(ask(rules, "{}", "strategy=singel").error == "`singel` is not a strategy value; did you mean `single`?");
}

TEST_CASE("what-if: kb/schema.json's actionable entries are checked when the knowledge base loads") {
  auto kb = bundled_kb();
  const FieldDef& step2ck = kb->fields[static_cast<std::size_t>(kb->field_index("step2ck"))];
  CHECK(step2ck.actionable.conditional);
  CHECK(step2ck.actionable.while_missing);
  REQUIRE(step2ck.actionable.while_below);
  CHECK(*step2ck.actionable.while_below == 218);
  CHECK(step2ck.actionable.fixed_because.find("USMLE") != std::string::npos);
  // The schema's failing score is the standard in force, `step2_passing` (kb/standards.json).
  auto sources = std::make_shared<SourceManager>();
  Diagnostics diags;
  auto rs = load_rule_set({std::string(ADVISE_SOURCE_DIR) + "/rules"}, kb, sources, diags);
  REQUIRE(rs);
  bool found = false;
  for (const auto& [name, e] : rs->definitions)
    if (name == "step2_passing") found = *e.constant == Value::number(*step2ck.actionable.while_below);
  CHECK(found);
}

TEST_CASE("what-if: a bad `actionable` entry in kb/schema.json is an error at its JSON path") {
  namespace fs = std::filesystem;
  const std::string kb_dir = std::string(ADVISE_SOURCE_DIR) + "/kb";
  fs::path dir = fs::temp_directory_path() / ("advise-whatif-kb-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* f : {"specialties.json", "figures.json"}) fs::copy_file(kb_dir + "/" + f, dir / f, fs::copy_options::overwrite_existing);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string schema = read_file(kb_dir + "/schema.json");
    auto at = schema.find(from);
    REQUIRE(at != std::string::npos);
    schema.replace(at, from.size(), to);
    std::ofstream(dir / "schema.json") << schema;
    std::vector<DataError> errors;
    auto kb = load_knowledge_base(dir.string(), errors);
    CHECK_FALSE(kb);
    return errors.empty() ? std::string() : errors.front().path + ": " + errors.front().message;
  };
  CHECK(with(R"("publications": {"type": "integer", "min": 0, "max": 1000, "description": "peer-reviewed publications, including accepted", "actionable": "up")",
             R"("publications": {"type": "integer", "min": 0, "max": 1000, "description": "peer-reviewed publications, including accepted", "actionable": "sideways")") ==
        R"($.fields.publications.actionable: expected true, false, "up", "down" or an object of conditions)");
  CHECK(with(R"("actionable": false, "fixed_because": "citizenship and residency status are not a change to plan for")",
             R"("actionable": false)") == "$.fields.citizenship.fixed_because: a field that is or may become fixed needs `fixed_because`");
  CHECK(with(R"("while_in": ["not_taken"])", R"("while_in": ["nope"])") ==
        R"($.fields.step1.actionable.while_in: expected values of the field's enum, found "nope")");
  CHECK(with(R"("while_below": 218)", R"("while_under": 218)") ==
        "$.fields.step2ck.actionable.while_under: expected `while_missing` (true or false), `while_below` (a number), "
        "`while_in` (a list of values) or `change`");
  fs::remove_all(dir);
}

TEST_CASE("what-if: the report's \"what would change this\" lines come from the same search") {
  Engine e(compile_rules(R"(
rule single "" source "t" when publications >= 2 then set strategy = single end
rule dual "" source "t" when publications < 2 then set strategy = dual end
rule year "" source "t" when citizenship is us_citizen then set research_year = not_needed end
rule year2 "" source "t" when citizenship is not us_citizen then set research_year = recommended end
)"));
  Profile p = load_test_profile(R"({"publications": 0, "citizenship": "permanent_resident"})");
  Result evaluated = e.evaluate(p);
  Report rep = build_report(evaluated, {});
  add_what_would_change(rep, e, p, evaluated, {});
  auto line = [&](const std::string& name) {
    for (const ConclusionEntry& c : rep.conclusions)
      if (c.name == name) return c.what_would_change.marked();
    return std::string("?");
  };
  CHECK(line("strategy") ==
        "what would change this to single: `publications` 0 -> 2 (checked by evaluating the changed profile)");
  CHECK(line("research_year") ==
        "what would change this to not_needed: nothing you can act on; it depends on `citizenship`, which cannot change");
  CHECK(line("step2ck_plan").empty());  // no hoped-for value
}

TEST_CASE("what-if: the report's lines leave the facts out only when no rule over facts writes a slot") {
  // The lines of a report made with facts, and the number of facts the
  // searches' evaluations were given (the base evaluation's records).
  auto lines_with = [](const std::string& rules_text, const std::string& clips_facts) {
    auto rules = compile_rules(rules_text);
    std::vector<FactRecord> facts;
    std::vector<DataError> errors;
    TemplateSet ts{rules->templates};
    REQUIRE(read_facts_clips(clips_facts, "facts.fct", *rules->kb, ts, facts, errors));
    Engine e(rules);
    Profile p = load_test_profile(R"({"publications": 0, "citizenship": "permanent_resident"})");
    EngineOptions eo;
    eo.facts = &facts;
    Result evaluated = e.evaluate(p, eo);
    Report rep = build_report(evaluated, {});
    add_what_would_change(rep, e, p, evaluated, eo);
    std::string out;
    for (const ConclusionEntry& c : rep.conclusions)
      if (!c.what_would_change.empty()) out += c.name + ": " + c.what_would_change.marked() + "\n";
    return std::make_pair(facts_reach_slots(*rules), out);
  };
  const char* tmpl = R"(
template program "A program"
  name: symbol
end
rule single "" source "t" when publications >= 2 then set strategy = single end
rule dual "" source "t" when publications < 2 then set strategy = dual end
)";
  // Rules over facts that only note: the facts change no slot, and the line
  // is the one a profile without facts gets.
  auto [reach, lines] = lines_with(std::string(tmpl) + R"(
rule listed "" source "t" when for each program p where p.name is present then note "{p.name} is on the list" end
)", "(program (name home)) (program (name away))");
  CHECK_FALSE(reach);
  CHECK(lines == "strategy: what would change this to single: `publications` 0 -> 2 (checked by evaluating the changed "
                 "profile)\n");
  // A rule over facts that sets a conclusion: the searches keep the facts,
  // and find the change that only the program `home` makes enough.
  auto [reach2, lines2] = lines_with(std::string(tmpl) + R"(
rule known "" source "t" when (there is a program p where p.name is "home") and publications >= 1 then set research_year = not_needed end
rule year "" source "t" when publications < 1 then set research_year = recommended end
)", "(program (name home))");
  CHECK(reach2);
  CHECK(lines2 == "strategy: what would change this to single: `publications` 0 -> 2 (checked by evaluating the changed "
                  "profile)\nresearch_year: what would change this to not_needed: `publications` 0 -> 1 (checked by "
                  "evaluating the changed profile)\n");
}

TEST_CASE("what-if: a test of a conclusion no single change reaches becomes a goal of its own") {
  const char* rules = R"(
rule a "" source "t" when publications >= 2 and observerships >= 1 then set strategy = single end
rule b "" source "t" when strategy is single and can_relocate then set research_year = not_needed end
)";
  auto w = ask(rules, R"({"publications": 0, "observerships": 0, "can_relocate": false})", "research_year=not_needed");
  REQUIRE(w.alternatives.size() == 1);
  CHECK(changes(w.alternatives[0]) == "publications: 0 -> 2; observerships: 0 -> 1; can_relocate: no -> yes");
  // When the conclusion's own goal is out of reach, so is this one, and the
  // answer names the fixed fields in the way.
  auto fixed = ask(R"(
rule a "" source "t" when citizenship is us_citizen and publications >= 2 then set strategy = single end
rule b "" source "t" when strategy is single then set research_year = not_needed end
)", R"({"citizenship": "visa_required", "publications": 0})", "research_year=not_needed");
  CHECK(fixed.alternatives.empty());
  CHECK(fixed.proven);
  REQUIRE(fixed.blockers.size() == 1);
  CHECK(fixed.blockers[0].test.text == "strategy is single");
  REQUIRE(fixed.blockers[0].fixed.size() == 1);
  CHECK(fixed.blockers[0].fixed[0].name == "citizenship");
}

TEST_CASE("what-if: the evaluation bound stops the search and says so; nothing unverified is shown") {
  WhatIfOptions o;
  o.max_evaluations = 2;  // the first evaluation and one change
  auto w = ask(R"(
rule r "" source "t" when publications >= 4 and observerships > 2 then set strategy = single end
)", R"({"publications": 1, "observerships": 0})", "strategy=single", o);
  CHECK(w.budget_exhausted);
  CHECK(w.evaluations == 2);
  CHECK(w.alternatives.empty());
  CHECK_FALSE(w.proven);
}

TEST_CASE("what-if: removing a value stops every rule that gives it, and says so when one cannot stop") {
  const char* rules = R"(
rule gap "" source "t" when unexplained_gap_months > 3 then add unexplained_gap to red_flags end
rule gap_twice "" source "t" when unexplained_gap_months > 6 and publications < 2 then add unexplained_gap to red_flags end
rule fail "" source "t" when step1 is fail then add step1_failure to red_flags end
)";
  auto w = ask(rules, R"({"unexplained_gap_months": 9, "publications": 0, "step1": "fail"})", "red_flags!=unexplained_gap");
  REQUIRE(w.error.empty());
  CHECK(w.goal.negated);
  CHECK(w.goal.subject.plain() == "red_flags without unexplained_gap");
  // Both rules must stop: the gap down to 3 stops both (one field) before
  // the gap to 6 and two publications (two fields).
  REQUIRE(!w.alternatives.empty());
  CHECK(changes(w.alternatives[0]) == "unexplained_gap_months: 9 -> 3");

  auto fixed = ask(rules, R"({"unexplained_gap_months": 9, "step1": "fail"})", "red_flags!=step1_failure");
  CHECK(fixed.alternatives.empty());
  CHECK(fixed.proven);
  REQUIRE(fixed.blockers.size() == 1);
  CHECK(fixed.blockers[0].rule.name() == "fail");
  CHECK(fixed.blockers[0].test.text == "step1 is fail");
  CHECK(fixed.reason.plain() ==
        "No change of actionable fields reaches this goal: a rule that gives the value has tests that only fixed fields "
        "decide");

  auto already = ask(rules, R"({"unexplained_gap_months": 0})", "red_flags!=unexplained_gap");
  CHECK(already.already);
}

TEST_CASE("what-if: a scalar other than a value; `!=` needs a conclusion and a value, and --why-not refuses it") {
  const char* rules = R"(
rule dual "" source "t" when publications < 3 then set strategy = dual end
rule single "" source "t" when publications >= 3 then set strategy = single end
)";
  auto w = ask(rules, R"({"publications": 1})", "strategy!=dual");
  REQUIRE(w.alternatives.size() == 1);
  CHECK(w.goal.subject.plain() == "strategy other than dual");
  CHECK(changes(w.alternatives[0]) == "publications: 1 -> 3");

  CHECK(ask(rules, R"({})", "stratgy!=dual").error ==
        "`!=` goes with a conclusion (`red_flags!=unexplained_gap`); no conclusion is called `stratgy`; did you mean "
        "`strategy`?");
  CHECK(ask(rules, R"({})", "strategy!=").error ==
        "`strategy!=` names no value; write `strategy!=VALUE` for a value the conclusion must not hold");
  auto rs = compile_rules(rules);
  Result r = Engine(rs).evaluate(load_test_profile(R"({"publications": 1})"));
  CHECK(explain_why_not(r, "strategy!=dual").error ==
        "`strategy!=dual` asks what would remove a value: ask `advise what-if strategy!=dual`; to see why `strategy` "
        "holds it, use `--explain`");
}
