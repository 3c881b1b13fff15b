// The static analysis of `advise check` (engine/analysis.hpp): each finding
// on a small rule set, and every witness it prints loads as a profile on
// which the engine shows the finding.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>

#include "dsl/checker.hpp"
#include "engine/analysis.hpp"
#include "engine/engine.hpp"
#include "support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

// The findings, gaps left out unless asked: the small rule sets here set
// `strategy`, which the bundled kb marks as carried by every report, for a
// few applicants only.
std::vector<Diagnostic> analyze(const std::shared_ptr<const RuleSet>& rs, bool shadowed = false, bool gaps = false) {
  Diagnostics d;
  AnalysisOptions o;
  o.shadowed = shadowed;
  analyze_rules(rs, o, d);
  d.sort();
  std::vector<Diagnostic> out;
  for (const Diagnostic& x : d.all())
    if (gaps || x.kind != DiagKind::Gap) out.push_back(x);
  return out;
}

Result run_witness(const std::shared_ptr<const RuleSet>& rs, const Diagnostic& d) {
  REQUIRE_FALSE(d.witness().empty());
  Engine e(rs);
  return e.evaluate(load_test_profile(d.witness(), "witness.json"));
}

const char* kConflict = R"(
rule dual_below "" source "t" priority 20 when specialty in ultra and step2ck < 250 then set strategy = dual end
rule single_research "" source "t" priority 20 when specialty in ultra and publications >= 3 then set strategy = single end
rule single_strong "" source "t" priority 30 when step2ck >= 240 and specialty is dermatology then set strategy = single end
rule same_value "" source "t" priority 20 when step2ck < 200 then set strategy = dual end
)";

}  // namespace

TEST_CASE("analysis: a conflict at equal priority, with a witness the engine confirms", "[analysis]") {
  auto rs = compile_rules(kConflict);
  auto found = analyze(rs);
  REQUIRE(found.size() == 1);
  CHECK(kind_info(found[0].kind).name == "conflict");
  CHECK(found[0].message ==
        "`single_research` and `dual_below` can both set `strategy` at priority 20, to `single` and `dual`; for such "
        "an applicant the first to fire wins and the report shows an error");
  Result r = run_witness(rs, found[0]);
  REQUIRE(r.conflicts.size() == 1);
  CHECK(r.conflicts[0].error);
}

TEST_CASE("analysis: a conflict settled by priority is a note, shown only when asked", "[analysis]") {
  auto rs = compile_rules(kConflict);
  auto found = analyze(rs, true);
  REQUIRE(found.size() == 2);
  std::size_t shadowed = 0;
  for (const Diagnostic& d : found) {
    Result r = run_witness(rs, d);
    CHECK_FALSE(r.conflicts.empty());
    if (kind_info(d.kind).name == "shadowed") {
      ++shadowed;
      CHECK(d.severity == Severity::Note);
    }
  }
  CHECK(shadowed == 1);
}

TEST_CASE("analysis: a dead rule names the contradicting tests, and only those", "[analysis]") {
  auto rs = compile_rules(
      "rule r \"\" source \"t\" when specialty in ultra and step2ck < 200 and publications > 1 and step2ck > 250 then "
      "set strategy = dual end\n"
      "rule ok \"\" source \"t\" when count(nbme_practice) >= 2 and min(nbme_practice) >= 245 then note \"ok\" end\n"
      "rule ok2 \"\" source \"t\" when publications + abstracts_posters >= 3 and research_months_us / 12 >= 1 then "
      "note \"ok\" end\n");
  auto found = analyze(rs);
  REQUIRE(found.size() == 1);
  CHECK(found[0].message == "rule `r` can never fire: `step2ck < 200` and `step2ck > 250` cannot both be true");
  CHECK(found[0].notes().size() == 1);
}

TEST_CASE("analysis: a loop is found before any profile runs into it", "[analysis]") {
  auto rs = compile_rules(R"(
rule start "" source "t" when step2ck < 214 then add remediation to red_flags end
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
)");
  auto found = analyze(rs);
  REQUIRE(found.size() == 1);
  CHECK(kind_info(found[0].kind).name == "loop");
  CHECK(run_witness(rs, found[0]).runaway.has_value());
}

// The loop analysis walks rules and the slots between them (a rule -> the
// slots it writes -> the rules reading them), where it made an edge from
// each rule writing a slot to each rule reading it: 100 rules writing and
// 100 reading the loop's conclusion were 10,000 edges, now 200 writes and 200
// reads. The loop found is the one the rule-to-rule graph found (its rules
// and the readers the runaway kept firing), never a writer outside it.
TEST_CASE("analysis: a loop among many rules writing and reading its conclusion", "[analysis][memory]") {
  std::string text = R"(
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
)";
  for (int i = 0; i < 100; ++i) {
    text += "rule w" + std::to_string(i) + " \"\" source \"t\" when step2ck < " + std::to_string(100 + i % 150) +
            " then add remediation to red_flags end\n";
    text += "rule r" + std::to_string(i) + " \"\" source \"t\" when red_flags contains remediation and step2ck > " +
            std::to_string(1 + i % 150) + " then note \"x\" end\n";
  }
  auto rs = compile_rules(text);
  auto found = analyze(rs);
  REQUIRE(found.size() == 1);
  CHECK(kind_info(found[0].kind).name == "loop");
  CHECK(found[0].message.find("`reset`") != std::string::npos);
  CHECK(found[0].message.find("`regrow`") != std::string::npos);
  CHECK(found[0].message.find("`w") == std::string::npos);
  CHECK(found[0].message.find("rules `reset`, `regrow`, `r0`, `r1`, `r2` keep changing `red_flags`") == 0);
}

TEST_CASE("analysis: numbers in texts that repeat a constant", "[analysis]") {
  auto rs = compile_rules(R"(
const competitive_step2 = 250
const multiple = 2
rule r "" source "t" when step2ck < competitive_step2 and publications < multiple
then note "Below 250 in Step 2 CK, with fewer than 2 papers; 2500 and 250.5 are other numbers; {competitive_step2} is fine." end
)");
  auto found = analyze(rs);
  REQUIRE(found.size() == 2);
  CHECK(found[0].message ==
        "the text writes 250, the value of `competitive_step2`; write `{competitive_step2}` so that the text follows "
        "the constant when it changes");
  CHECK(found[1].message ==
        "the text writes 2, the value of `multiple`; write `{multiple}` so that the text follows the constant when it "
        "changes");
}

TEST_CASE("analysis: a placeholder that may be missing when its rule fires", "[analysis]") {
  auto rs = compile_rules(R"(
rule may "" source "t" when interviews_in_target < 6 or match_status is unmatched then note "{interviews_in_target} interviews" end
rule sure "" source "t" when interviews_in_target < 6 then note "{interviews_in_target} interviews" end
)");
  auto found = analyze(rs);
  REQUIRE(found.size() == 1);
  CHECK(found[0].witness() == R"({"match_status":"unmatched"})");
  Result r = run_witness(rs, found[0]);
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].text == "(not given) interviews");
}

TEST_CASE("analysis: the bundled rules have no conflict, dead rule or loop", "[analysis]") {
  auto kb = bundled_kb();
  auto sources = std::make_shared<SourceManager>();
  Diagnostics diags;
  auto rs = load_rule_set({std::string(ADVISE_SOURCE_DIR) + "/rules"}, kb, sources, diags);
  REQUIRE(rs);
  auto shared = std::make_shared<const RuleSet>(std::move(*rs));
  for (const Diagnostic& d : analyze(shared)) {
    INFO(d.message);
    auto name = kind_info(d.kind).name;
    CHECK((name == "number-in-text" || name == "missing-placeholder"));
    if (name == "missing-placeholder") CHECK_FALSE(run_witness(shared, d).firings.empty());
  }
}

TEST_CASE("analysis: a gap in a conclusion every report carries, with a witness the engine confirms", "[analysis]") {
  // kb/schema.json marks `strategy` as carried by every report of an
  // applicant who gives a target and has a match ahead.
  auto rs = compile_rules(R"(
rule class_of_target "" source "t" priority 30 when specialty is present then set specialty_class = specialty.class end
rule dual_for_ultra "" source "t" priority 20 when specialty_class is ultra then set strategy = dual end
)");
  auto found = analyze(rs, false, true);
  REQUIRE(found.size() == 1);
  CHECK(kind_info(found[0].kind).name == "gap");
  CHECK(found[0].message ==
        "no rule sets `strategy`, which every report carries (kb/schema.json `every_report`), for some applicants who "
        "give `target_specialty`, whose `match_status` is missing or preparing, applying or unmatched");
  CHECK(found[0].witness() == R"({"target_specialty":"internal_medicine"})");
  REQUIRE(found[0].notes().size() == 2);
  CHECK(found[0].notes()[0].message == "`dual_for_ultra`: `specialty_class is ultra` is false");
  Result r = run_witness(rs, found[0]);
  CHECK(r.value(rs->conclusion_slot("strategy")).is_missing());
}

TEST_CASE("analysis: no gap once a rule covers the rest, nor outside the mark's applicants", "[analysis]") {
  // Everyone with a target and a match ahead gets a strategy; a matched
  // applicant gets none, which the mark allows.
  auto rs = compile_rules(R"(
rule class_of_target "" source "t" priority 30 when specialty is present then set specialty_class = specialty.class end
rule dual_for_ultra "" source "t" priority 20
  when specialty_class is ultra and (match_status is missing or match_status in {preparing, applying, unmatched})
  then set strategy = dual end
rule single_otherwise "" source "t" priority 20
  when specialty_class is not ultra and (match_status is missing or match_status in {preparing, applying, unmatched})
  then set strategy = single end
)");
  auto found = analyze(rs, false, true);
  for (const Diagnostic& d : found) CHECK(kind_info(d.kind).name != "gap");
}

TEST_CASE("analysis: a rule set that never sets a marked conclusion has no gap (a part of the rules)", "[analysis]") {
  auto rs = compile_rules(R"(
rule class_of_target "" source "t" priority 30 when specialty is present then set specialty_class = specialty.class end
)");
  CHECK(analyze(rs, false, true).empty());
}
