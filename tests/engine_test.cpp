// The inference engine: agenda order, refraction, chaining, conflicts, the
// runaway guard, determinism and concurrent evaluation.
#include <catch2/catch.hpp>

#include <limits>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "dsl/checker.hpp"
#include "engine/engine.hpp"
#include "engine/explain.hpp"
#include "engine/program_list.hpp"
#include "engine/render.hpp"
#include "kb/facts.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

std::string display(const Result& r, const char* conclusion) {
  return r.rules->kb->display(r.conclusion(conclusion));
}

std::vector<std::string> fired_names(const Result& r) {
  std::vector<std::string> out;
  for (const Firing& f : r.firings) out.push_back(std::string(r.rules->rules[static_cast<std::size_t>(f.rule)].name()));
  return out;
}

}  // namespace

TEST_CASE("agenda: priority first, then specificity, then source order") {
  auto rs = compile_rules(R"(
rule low "" source "t" when step2ck > 100 then add remediation to red_flags end
rule high_simple "" source "t" priority 5 when step2ck > 100 then add professionalism to red_flags end
rule high_specific "" source "t" priority 5 when step2ck > 100 and stage is ms3 then add unexplained_gap to red_flags end
rule low_second "" source "t" when step2ck > 100 then add step1_failure to red_flags end
)");
  Engine e(rs);
  Result r = e.evaluate(load_test_profile(R"({"step2ck": 240, "stage": "ms3"})"));
  CHECK(fired_names(r) == std::vector<std::string>{"high_specific", "high_simple", "low", "low_second"});
  CHECK(display(r, "red_flags") == "unexplained_gap, professionalism, remediation and step1_failure");
}

TEST_CASE("refraction: a rule fires once for the same facts, again when a fact it read changes") {
  auto rs = compile_rules(R"(
rule once "" source "t" when step2ck < 250 then add remediation to red_flags end
rule grows "" source "t" when count(red_flags) < 5 then add professionalism to red_flags end
)");
  Engine e(rs);
  Result r = e.evaluate(load_test_profile(R"({"step2ck": 240})"));
  // `once` reads only step2ck: one firing. `grows` reads red_flags, which
  // `once` and `grows` itself change: it fires again on each new version and
  // stops when its addition changes nothing.
  CHECK(fired_names(r) == std::vector<std::string>{"once", "grows", "grows"});
  CHECK_FALSE(r.runaway);
}

TEST_CASE("chaining: conclusions are facts other rules test, four levels deep") {
  auto rs = compile_rules(R"(
rule l4 "" source "t" when research_year == recommended then add research_year to contingency end
rule l3 "" source "t" when backup_specialties contains internal_medicine then set research_year = recommended end
rule l2 "" source "t" when strategy == dual then add internal_medicine to backup_specialties end
rule l1 "" source "t" when step2ck < 250 then set strategy = dual end
)");
  Engine e(rs);
  Result r = e.evaluate(load_test_profile(R"({"step2ck": 238})"));
  CHECK(fired_names(r) == std::vector<std::string>{"l1", "l2", "l3", "l4"});
  CHECK(display(r, "contingency") == "research_year");

  // The derivation of the last conclusion walks back to the profile field.
  Derivation d = explain_fact(r, rs->conclusion_slot("contingency"));
  REQUIRE(d.kind == Derivation::Kind::Derived);
  CHECK(d.rule.name() == "l4");
  REQUIRE(d.premises.size() == 1);
  CHECK(d.premises[0].rule.name() == "l3");
  REQUIRE(d.premises[0].premises.size() == 1);
  CHECK(d.premises[0].premises[0].rule.name() == "l2");
  REQUIRE(d.premises[0].premises[0].premises.size() == 1);
  const Derivation& l1 = d.premises[0].premises[0].premises[0];
  CHECK(l1.rule.name() == "l1");
  REQUIRE(l1.tests.size() == 1);
  CHECK(l1.tests[0].text == "step2ck < 250");
  CHECK(l1.tests[0].result == Truth::True);
  CHECK(l1.tests[0].facts[0].display == "238");
}

TEST_CASE("missing facts are unknown: a rule fires only when its condition is true") {
  auto rs = compile_rules(R"(
rule low "" source "t" when step2ck < 250 then set strategy = dual end
rule not_low "" source "t" when not (step2ck < 250) then set strategy = single end
rule absent "" source "t" when step2ck is missing then add remediation to red_flags end
)");
  Engine e(rs);
  Result r = e.evaluate(load_test_profile(R"({})"));
  CHECK(fired_names(r) == std::vector<std::string>{"absent"});
  CHECK(r.conclusion("strategy").is_missing());
}

TEST_CASE("conflicts: the losing rule's advice is withdrawn with its value", "[conflicts]") {
  // Issue 17: a rule that lost a conflict left its recommendation and note
  // in the report, advising dual beside a strategy of single.
  SECTION("a lower priority that fires first loses, and its texts go") {
    auto rs = compile_rules(R"(
rule general "" source "t" category application priority 20 when step2ck < 250 then
  set strategy = dual
  recommend apply_dual: "Apply to a backup too."
  note "Dual: your score is below 250."
end
rule exception "" source "t" category application priority 30 when step2ck > 200 then
  set strategy = single
  recommend apply_single: "Apply to your target only."
end
)");
    Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
    CHECK(display(r, "strategy") == "single");
    REQUIRE(r.conflicts.size() == 1);
    CHECK(r.recommendation("apply_single") != nullptr);
    CHECK(r.recommendation("apply_dual") == nullptr);
    CHECK(r.messages.empty());
  }
  SECTION("a lower priority that fires after the winner loses, and its texts go") {
    auto rs = compile_rules(R"(
rule exception "" source "t" category application priority 30 when step2ck > 200 then set strategy = single end
rule later "" source "t" category application priority 20 when strategy is single and step2ck < 250 then
  set strategy = dual
  warn "Dual after all."
end
)");
    Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
    CHECK(display(r, "strategy") == "single");
    REQUIRE(r.conflicts.size() == 1);
    CHECK(r.messages.empty());
  }
  SECTION("at equal priority the second rule loses (an error), and its texts go") {
    auto rs = compile_rules(R"(
rule a "" source "t" when step2ck < 250 then set strategy = dual note "Dual." end
rule b "" source "t" when step2ck > 200 then set strategy = single note "Single." end
)");
    Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
    REQUIRE(r.conflicts.size() == 1);
    CHECK(r.conflicts[0].error);
    REQUIRE(r.messages.size() == 1);
    CHECK(r.messages[0].text == "Dual.");
  }
  SECTION("a rule that agrees with the winner keeps its texts") {
    auto rs = compile_rules(R"(
rule a "" source "t" priority 30 when step2ck > 200 then set strategy = single note "Single." end
rule b "" source "t" priority 20 when step2ck < 250 then set strategy = single note "Single too." end
)");
    Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
    CHECK(r.conflicts.empty());
    CHECK(r.messages.size() == 2);
  }
}

TEST_CASE("conflicts: the higher priority stands; equal priority is an error and the first value stands") {
  SECTION("different priorities") {
    auto rs = compile_rules(R"(
rule general "" source "t" when step2ck < 250 then set strategy = dual end
rule exception "" source "t" priority 10 when step2ck > 200 then set strategy = single end
)");
    Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
    CHECK(display(r, "strategy") == "single");
    REQUIRE(r.conflicts.size() == 1);
    CHECK_FALSE(r.conflicts[0].error);
    CHECK(rs->kb->display(r.conflicts[0].kept) == "single");
    CHECK(rs->kb->display(r.conflicts[0].rejected) == "dual");
    Report rep = build_report(r, {});
    REQUIRE(rep.conflicts.size() == 1);
    CHECK(rep.conflicts[0].kept_by.name() == "exception");
    CHECK(rep.conflicts[0].rejected_by.name() == "general");
    CHECK(rep.conflicts[0].rejected_tests.at(0).text == "step2ck < 250");
  }
  SECTION("equal priorities") {
    auto rs = compile_rules(R"(
rule a "" source "t" when step2ck < 250 then set strategy = dual end
rule b "" source "t" when step2ck > 200 then set strategy = single end
)");
    Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
    CHECK(display(r, "strategy") == "dual");
    REQUIRE(r.conflicts.size() == 1);
    CHECK(r.conflicts[0].error);
  }
  SECTION("map entries conflict per key, not per map") {
    auto rs = compile_rules(R"(
rule a "" source "t" when step2ck > 100 then set applications[dermatology] = 60..100 end
rule b "" source "t" when step2ck > 100 then set applications[internal_medicine] = 40..60 end
)");
    Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
    CHECK(r.conflicts.empty());
    CHECK(display(r, "applications") == "dermatology: 60\u2013100; internal_medicine: 40\u201360");
  }
}

TEST_CASE("runaway: evaluation stops at the firing limit and names the cycle") {
  auto rs = compile_rules(R"(
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
rule start "" source "t" when step2ck > 100 then add remediation to red_flags end
)");
  EngineOptions opt;
  opt.max_firings = 50;
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"), opt);
  REQUIRE(r.runaway);
  CHECK(r.firings.size() == 53);  // the first firing of each rule is not counted (tests/runaway_test.cpp)
  CHECK(r.runaway->message ==
        "evaluation stopped at the limit of 50 repeated firings (53 firings in all): the rules `reset` "
        "(test.rules:2), `regrow` (test.rules:3) keep firing and keep changing `red_flags`; make their conditions "
        "exclusive, or test that the conclusion is not already set");
}

TEST_CASE("why not: the first failing test with the actual value, or no rule at all") {
  auto rs = compile_rules(R"(
rule single_ok "" source "t" when step2ck >= 250 and publications >= 3 then set strategy = single end
rule dual_low "" source "t" when step2ck < 250 then set strategy = dual end
)");
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 238, "publications": 5})"));
  WhyNot w = explain_why_not(r, "strategy=single");
  CHECK_FALSE(w.reached);
  CHECK(w.actual == "`strategy` is dual");
  REQUIRE(w.candidates.size() == 1);
  CHECK(w.candidates[0].rule.name() == "single_ok");
  REQUIRE(w.candidates[0].failed.size() == 1);
  CHECK(w.candidates[0].failed[0].text == "step2ck >= 250");
  CHECK(w.candidates[0].failed[0].facts[0].display == "238");

  WhyNot none = explain_why_not(r, "research_year=recommended");
  CHECK(none.candidates.empty());
  WhyNot typo = explain_why_not(r, "strategy=singel");
  CHECK(typo.error == "`singel` is not a strategy value; did you mean `single`?");
  WhyNot unknown = explain_why_not(r, "stratgy");
  CHECK(unknown.error == "no conclusion, recommendation or rule is called `stratgy`; did you mean `strategy`?");
}

namespace {
std::string summary(const Result& r) {
  std::string s;
  for (std::size_t c = 0; c < r.rules->kb->conclusions.size(); ++c)
    s += r.rules->kb->conclusions[c].name + "=" +
         r.rules->kb->display(r.value(r.rules->field_count() + static_cast<std::int32_t>(c))) + "\n";
  for (const Recommendation& rec : r.recommendations) s += rec.id + ": " + rec.text + "\n";
  for (const Firing& f : r.firings) s += std::string(r.rules->rules[static_cast<std::size_t>(f.rule)].name()) + "\n";
  return s;
}

std::shared_ptr<const RuleSet> bundled_rules() {
  static std::shared_ptr<const RuleSet> rs = [] {
    auto sm = std::make_shared<SourceManager>();
    Diagnostics d;
    auto r = load_rule_set({std::string(ADVISE_SOURCE_DIR) + "/rules"}, bundled_kb(), sm, d);
    INFO(render_text(*sm, d));
    REQUIRE(r);
    return std::make_shared<const RuleSet>(std::move(*r));
  }();
  return rs;
}
}  // namespace

TEST_CASE("the same profile gives the same result on every run") {
  Engine e(bundled_rules());
  Profile p = load_test_profile(R"({"name": "A", "citizenship": "us_citizen", "school_type": "img", "stage": "ms4",
                          "target_specialty": "dermatology", "step1": "pass", "step1_attempts": 1,
                          "step2ck": 246, "publications": 2, "abstracts_posters": 4})");
  std::string first = summary(e.evaluate(p));
  for (int i = 0; i < 5; ++i) CHECK(summary(e.evaluate(p)) == first);
}

TEST_CASE("evaluations of different profiles run concurrently on one engine", "[concurrency]") {
  Engine e(bundled_rules());
  std::vector<Profile> profiles;
  const char* specialties[] = {"dermatology", "orthopedic_surgery", "radiology", "family_medicine"};
  for (int i = 0; i < 16; ++i) {
    profiles.push_back(load_test_profile(std::string(R"({"citizenship": "us_citizen", "school_type": "img", "stage": "ms3", "step2ck": )") +
                               std::to_string(225 + i * 3) + R"(, "target_specialty": ")" + specialties[i % 4] +
                               R"(", "nbme_practice": [230, 240]})"));
  }
  std::vector<std::string> expected;
  for (const Profile& p : profiles) expected.push_back(summary(e.evaluate(p)));
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round)
        for (const Profile& p : profiles) got[static_cast<std::size_t>(t)].push_back(summary(e.evaluate(p)));
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& g : got) {
    REQUIRE(g.size() == profiles.size() * 10);
    for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == expected[i % profiles.size()]);
  }
}

TEST_CASE("why not: a test whose first or last operand is in parentheses reads whole") {
  auto rs = compile_rules(R"(
rule sum_low "" source "t" when (step2ck + publications) >= 260 and 3 < (publications * 2) then set strategy = single end
)");
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 238, "publications": 1})"));
  WhyNot w = explain_why_not(r, "strategy=single");
  REQUIRE(w.candidates.size() == 1);
  REQUIRE(w.candidates[0].failed.size() == 2);
  CHECK(w.candidates[0].failed[0].text == "(step2ck + publications) >= 260");
  CHECK(w.candidates[0].failed[1].text == "3 < (publications * 2)");
}

TEST_CASE("conflicts: a figure the loser and the winner both cite stays, cited by the winner", "[conflicts]") {
  // The engine kept one citation per figure; when the loser cited it first
  // and lost, the figure went from the report though the winner cited it.
  auto rs = compile_rules(R"(
rule general "" source "t" priority 20 when step2ck < 250 then
  set strategy = dual
  cite usimg_match_rate_2025
end
rule exception "" source "t" priority 30 when step2ck > 200 then
  set strategy = single
  cite usimg_match_rate_2025
end
)");
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 240})"));
  REQUIRE(r.conflicts.size() == 1);
  REQUIRE(r.citations.size() == 1);
  CHECK(r.firings[static_cast<std::size_t>(r.citations[0].firing)].rule == rs->find_rule("exception")->index);
}

TEST_CASE("program list: a long list, made and written in two halves at once, is the one a single pass makes",
          "[program_list][concurrency]") {
  auto sm = std::make_shared<SourceManager>();
  Diagnostics d;
  auto loaded = load_rule_set({source("rules"), source("catalog/program_list.rules")}, bundled_kb(), sm, d);
  INFO(render_text(*sm, d));
  REQUIRE(loaded);
  auto rs = std::make_shared<const RuleSet>(std::move(*loaded));
  // The illustrative catalog's programs of the applicant's specialties, copied
  // under new ids (the same id prefix, a new sequence number) past the split.
  std::istringstream in(read_file(source("examples/catalog/programs.csv")));
  std::string csv, line;
  std::vector<std::string> rows;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (csv.empty()) {
      csv = line + "\n";
      continue;
    }
    if (line.find('"') != std::string::npos) continue;
    if (line.find(",dermatology,") != std::string::npos || line.find(",internal_medicine,") != std::string::npos ||
        line.find(",transitional_year,") != std::string::npos || line.find(",preliminary") != std::string::npos)
      rows.push_back(line);
  }
  REQUIRE(rows.size() > 20);
  std::size_t copies = 0;
  while (copies < kProgramListSplit + 400)
    for (const std::string& r : rows) {
      std::size_t id = r.find(',') + 1;  // `fictitious` comes first, then the 10-digit id
      std::string seq = std::to_string(5000 + copies);  // unique across every copy
      csv += r.substr(0, id + 6) + seq + r.substr(id + 10) + "\n";
      ++copies;
    }
  TemplateSet templates{rs->templates};
  std::vector<FactRecord> facts;
  std::vector<DataError> errors;
  bool read = read_facts_csv(csv, "many.csv", *rs->kb, templates, templates.find("program"), facts, errors);
  for (std::size_t i = 0; i < errors.size() && i < 3; ++i) UNSCOPED_INFO(errors[i].text());
  REQUIRE(read);
  REQUIRE(read_facts_file(source("kb/signals.json"), "", *rs->kb, templates, facts, errors));
  Profile p = load_test_profile(read_file(source("tests/cases/program_list/applicant.json")));
  EngineOptions opt;
  opt.facts = &facts;
  Engine e(rs);
  Result r = e.evaluate(p, opt);
  REQUIRE_FALSE(r.runaway);
  auto halves = build_program_list(r);
  auto one = build_program_list(r, std::numeric_limits<std::size_t>::max());
  REQUIRE(halves);
  REQUIRE(one);
  REQUIRE(one->entries.size() >= kProgramListSplit);
  CHECK(program_list_csv(*halves) == program_list_csv(*one));  // entries, tiers, signals and reasons, in order
  // The JSON report writes its list in two halves too: every entry, in the list's order.
  ReportOptions ro;
  std::string json = render_json(build_report(r, ro), *rs);
  auto list = nlohmann::json::parse(json)["conclusions"]["program_list"];
  REQUIRE(list.size() == one->entries.size());
  for (std::size_t i = 0; i < list.size(); i += 97) {
    CHECK(list[i]["program"] == one->entries[i].program_id);
    CHECK(list[i]["reasons"].size() == one->entries[i].reasons.size());
  }
}
