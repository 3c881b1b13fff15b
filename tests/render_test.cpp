// The renderers of the explanation model (engine/render.hpp): exact text of
// small reports built from a tiny rule set written here, for each format; the
// JSON schema of docs/report.md; byte-identical output across runs; and
// `advise run` (app/cmd_run.cpp) called directly for what golden files cannot
// show (an --output file, exit codes).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "dsl/checker.hpp"
#include "engine/engine.hpp"
#include "engine/explain.hpp"
#include "engine/entry_texts.hpp"
#include "engine/render.hpp"
#include "engine/render_json.hpp"
#include "kb/profile.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
namespace fs = std::filesystem;

namespace {

std::shared_ptr<const RuleSet> rules_of(const std::string& text) { return compile_rules(text, "tiny.rules"); }

Result run(const std::shared_ptr<const RuleSet>& rs, const std::string& json, int max_firings = 1000) {
  std::vector<DataError> errors;
  auto p = load_profile(json, "sam.json", *bundled_kb(), errors);
  REQUIRE(errors.empty());
  REQUIRE(p);
  EngineOptions o;
  o.max_firings = max_firings;
  return Engine(rs).evaluate(*p, o);
}

// A chain three rules deep, a recommendation, a warning, a note, a citation.
const char* kTiny = R"(const extremely_strong_step2 = 260

rule class_of_target "How competitive the target is"
  source "Understanding the realities 1"
when target_specialty is present then
  set specialty_class = target_specialty.class
end

rule single_when_exceptional "Single only for an extremely strong score"
  source "Step 5.1"
  priority 10
  category application
when specialty_class is ultra and step2ck >= extremely_strong_step2 then
  set strategy = single
  recommend single_application: "Apply to {specialty} only."
end

rule dual_otherwise "Dual below an extremely strong score"
  source "Step 5.1"
  category application
when specialty_class is ultra and step2ck < extremely_strong_step2 then
  set strategy = dual
  recommend dual_application: "Apply to {specialty} and to a backup."
  note "Your Step 2 CK of {step2ck} is below 260."
end

rule guide_backups "The guide's backups"
  source "Step 5.1"
when strategy is dual then
  set backup_specialties = target_specialty.backups
  warn "Commit to your backup."
  cite usimg_match_rate_2025
end
)";

const char* kSam = R"({"name": "Sam", "target_specialty": "dermatology", "step2ck": 252})";

Report report_of(const Result& r, bool explain = false, bool trace = false, std::vector<std::string> why_not = {}) {
  ReportOptions o;
  o.explain = explain;
  o.trace = trace;
  o.why_not = std::move(why_not);
  return build_report(r, o);
}

// The lines of `text` from the one starting with `first` up to, not
// including, the next blank line.
std::string block(const std::string& text0, const std::string& first) {
  std::string text = "\n" + text0;
  auto at = text.find("\n" + first);
  if (at == std::string::npos) return "(no line starts with `" + first + "`)";
  auto end = text.find("\n\n", at + 1);
  return text.substr(at + 1, end == std::string::npos ? std::string::npos : end - at);
}

std::size_t columns(const std::string& line) {
  std::size_t n = 0;
  for (unsigned char c : line)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

TEST_CASE("render helpers: places, one-line tests, named constants") {
  using namespace render_detail;
  CHECK(place("rules/step5_application.rules", 12) == "rules/step5_application.rules:12");
  CHECK(one_line("step2ck >= 250\n   and  x") == "step2ck >= 250 and x");
  auto rs = rules_of(kTiny);
  // Rules and tests carry their file and line apart: nothing re-parses "file:line".
  RuleRef r = rule_ref(*rs, 1);
  CHECK(r.file() == "tiny.rules");
  CHECK(r.line == 9);
  CHECK(r.where() == "tiny.rules:9");
  auto named = [&](const std::string& text) {
    std::vector<std::string> out;
    for (const NamedConstant& c : constants_in(text, *rs)) out.push_back(c.name + " = " + c.value);
    return out;
  };
  CHECK(named("step2ck >= extremely_strong_step2") == std::vector<std::string>{"extremely_strong_step2 = 260"});
  // Not inside strings, not after a dot, not an enum value, each once.
  CHECK(named("\"extremely_strong_step2\" == x.extremely_strong_step2").empty());
  CHECK(named("specialty_class is ultra").empty());
  CHECK(named("extremely_strong_step2 < extremely_strong_step2").size() == 1);
}

TEST_CASE("text report: the sections an applicant reads, exactly") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  std::string text = render_text(report_of(r), *rs);
  CHECK(text ==
        "Advise report for Sam\n"
        "Profile: sam.json\n"
        "\n"
        "Your strategy\n"
        "  specialty_class     ultra\n"
        "  strategy            dual\n"
        "  backup_specialties  internal_medicine\n"
        "  applications        (not reached: no rule decides it)\n"
        "  research_year       (not reached: no rule decides it)\n"
        "  step2ck_plan        (not reached: no rule decides it)\n"
        "  tiers               (not reached: no rule decides it)\n"
        "  red_flags           (not reached: no rule decides it)\n"
        "  contingency         (not reached: no rule decides it)\n"
        "  adjacent_careers    (not reached: no rule decides it)\n"
        "\n"
        "What to do\n"
        "\n"
        "  Application\n"
        "  \u2022 Apply to dermatology and to a backup.\n"
        "    \u2014 guide: Step 5.1 (rule `dual_otherwise`, tiny.rules:18)\n"
        "\n"
        "Warnings\n"
        "  ! Commit to your backup.\n"
        "    \u2014 guide: Step 5.1 (rule `guide_backups`, tiny.rules:27)\n"
        "\n"
        "Notes\n"
        "  - Your Step 2 CK of 252 is below 260.\n"
        "    \u2014 guide: Step 5.1 (rule `dual_otherwise`, tiny.rules:18)\n"
        "\n"
        "Where you stand\n"
        "  \u2022 2025 Main Residency Match: US-citizen IMGs matched to PGY-1 positions at\n"
        "    67.8% (3,108 of 4,587 applicants), against 93.5% of US MD seniors and 92.6%\n"
        "    of DO seniors\n"
        "    \u2014 source: AMA, \"Biggest Match Day ever: here's what 2025 numbers reveal\"\n"
        "      (ama-assn.org), citing NRMP, 2025\n"
        "\n"
        "To see how each decision was reached from your answers, run advise with\n"
        "--explain; --why-not NAME says why something was not.\n");
}

TEST_CASE("text report: a decision some rule could reach but none did says so") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, R"({"name": "Ana", "step2ck": 240})");
  std::string text = render_text(report_of(r), *rs);
  CHECK(block(text, "Your strategy") ==
        "Your strategy\n"
        "  specialty_class     (not reached: the rule that decides it did not apply to\n"
        "                      you)\n"
        "  strategy            (not reached: none of the 2 rules that decide it applied\n"
        "                      to you)\n"
        "  backup_specialties  (not reached: the rule that decides it did not apply to\n"
        "                      you)\n"
        "  applications        (not reached: no rule decides it)\n"
        "  research_year       (not reached: no rule decides it)\n"
        "  step2ck_plan        (not reached: no rule decides it)\n"
        "  tiers               (not reached: no rule decides it)\n"
        "  red_flags           (not reached: no rule decides it)\n"
        "  contingency         (not reached: no rule decides it)\n"
        "  adjacent_careers    (not reached: no rule decides it)\n");
  CHECK(text.find("What to do") == std::string::npos);  // empty sections are left out
}

TEST_CASE("text report --explain: each decision's rule, tests with your values, premises down to fields") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  std::string text = render_text(report_of(r, true), *rs);
  CHECK(block(text, "Your strategy") ==
        "Your strategy\n"
        "  specialty_class     ultra\n"
        "    set by rule `class_of_target`: How competitive the target is\n"
        "      (tiny.rules:3; guide: Understanding the realities 1)\n"
        "      \u2713 target_specialty is present   your target_specialty: dermatology\n"
        "      given: $.target_specialty\n"
        "  strategy            dual\n"
        "    set by rule `dual_otherwise`: Dual below an extremely strong score\n"
        "      (tiny.rules:18; guide: Step 5.1)\n"
        "      \u2713 specialty_class is ultra           specialty_class: ultra\n"
        "      \u2713 step2ck < extremely_strong_step2   your step2ck: 252 (extremely_strong_step2 = 260)\n"
        "      given: $.step2ck\n"
        "      specialty_class = ultra (set by rule `class_of_target`; see above)\n"
        "  backup_specialties  internal_medicine\n"
        "    set by rule `guide_backups`: The guide's backups\n"
        "      (tiny.rules:27; guide: Step 5.1)\n"
        "      \u2713 strategy is dual   strategy: dual\n"
        "      strategy = dual (set by rule `dual_otherwise`; see above)\n"
        "  applications        (not reached: no rule decides it)\n"
        "  research_year       (not reached: no rule decides it)\n"
        "  step2ck_plan        (not reached: no rule decides it)\n"
        "  tiers               (not reached: no rule decides it)\n"
        "  red_flags           (not reached: no rule decides it)\n"
        "  contingency         (not reached: no rule decides it)\n"
        "  adjacent_careers    (not reached: no rule decides it)\n");
  CHECK(block(text, "  Application") ==
        "  Application\n"
        "  \u2022 Apply to dermatology and to a backup.\n"
        "    \u2014 guide: Step 5.1 (rule `dual_otherwise`, tiny.rules:18)\n"
        "    because:\n"
        "      \u2713 specialty_class is ultra           specialty_class: ultra\n"
        "      \u2713 step2ck < extremely_strong_step2   your step2ck: 252 (extremely_strong_step2 = 260)\n"
        "      given: $.step2ck\n"
        "      specialty_class = ultra (set by rule `class_of_target`; see above)\n");
  CHECK(text.find("To see how each decision") == std::string::npos);
}

TEST_CASE("text report: a premise explained in full where it is first met") {
  // A recommendation reading a decision whose own entry comes later.
  auto rs = rules_of(R"(
rule strategy_first "" source "Step 5.1" when step2ck < 250 then set strategy = dual end
rule early_rec "" source "Step 1.1" category assessment when strategy is dual then
  recommend read_me: "Read this."
end
)");
  Result r = run(rs, R"({"step2ck": 240})");
  std::string text = render_text(report_of(r, true), *rs);
  CHECK(block(text, "  Assessment") ==
        "  Assessment\n"
        "  \u2022 Read this.\n"
        "    \u2014 guide: Step 1.1 (rule `early_rec`, tiny.rules:3)\n"
        "    because:\n"
        "      \u2713 strategy is dual   strategy: dual\n"
        "      strategy = dual (set by rule `strategy_first`; see above)\n");
}

TEST_CASE("text report --why-not: the first failing test against your value, no rule, or an error") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  std::string text =
      render_text(report_of(r, false, false, {"strategy=single", "research_year", "stratgy", "single_application"}), *rs);
  CHECK(block(text, "Why not `strategy` = single?") ==
        "Why not `strategy` = single?\n"
        "  Not reached: `strategy` is dual.\n"
        "  1 rule could produce it:\n"
        "  \u2022 rule `single_when_exceptional` (tiny.rules:9; guide: Step 5.1)\n"
        "    it did not apply: the test that failed\n"
        "      \u2717 step2ck >= extremely_strong_step2   your step2ck: 252 (extremely_strong_step2 = 260); required: at least 260\n");
  CHECK(block(text, "Why not conclusion `research_year`?") ==
        "Why not conclusion `research_year`?\n"
        "  Not reached: no rule sets `research_year`.\n"
        "  No rule can produce it: none of the rules sets it.\n");
  CHECK(block(text, "Why not `stratgy`?") ==
        "Why not `stratgy`?\n"
        "  error: no conclusion, recommendation or rule is called `stratgy`; did you mean\n"
        "    `strategy`?\n");
  CHECK(block(text, "Why not recommendation `single_application`?") ==
        "Why not recommendation `single_application`?\n"
        "  Not reached: it was not recommended.\n"
        "  1 rule could produce it:\n"
        "  \u2022 rule `single_when_exceptional` (tiny.rules:9; guide: Step 5.1)\n"
        "    it did not apply: the test that failed\n"
        "      \u2717 step2ck >= extremely_strong_step2   your step2ck: 252 (extremely_strong_step2 = 260); required: at least 260\n");
}

TEST_CASE("text report --why-not: a missing field reads `(not given)`, the test is unknown, and a Step 2 CK not yet taken can change") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, R"({"target_specialty": "dermatology"})");
  std::string text = render_text(report_of(r, false, false, {"strategy=dual"}), *rs);
  CHECK(block(text, "Why not `strategy` = dual?") ==
        "Why not `strategy` = dual?\n"
        "  Not reached: none of the 2 rules that set `strategy` applied.\n"
        "  1 rule could produce it:\n"
        "  \u2022 rule `dual_otherwise` (tiny.rules:18; guide: Step 5.1)\n"
        "    it did not apply: the test that failed\n"
        "      ? step2ck < extremely_strong_step2   your step2ck: (not given) (extremely_strong_step2 = 260) (you can "
        "change this)\n");
}

TEST_CASE("text report --trace: numbered firings with changes and outputs") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  std::string text = render_text(report_of(r, false, true), *rs);
  CHECK(block(text, "Trace: 3 firings") ==
        "Trace: 3 firings\n"
        "  1. rule `class_of_target` (tiny.rules:3; guide: Understanding the realities 1)\n"
        "       specialty_class: (not set) -> ultra\n"
        "  2. rule `dual_otherwise` (tiny.rules:18; guide: Step 5.1)\n"
        "       strategy: (not set) -> dual\n"
        "       recommend dual_application\n"
        "       note \"Your Step 2 CK of 252 is below 260.\"\n"
        "  3. rule `guide_backups` (tiny.rules:27; guide: Step 5.1)\n"
        "       backup_specialties: (not set) -> internal_medicine\n"
        "       warn \"Commit to your backup.\"\n"
        "       cite usimg_match_rate_2025\n");
  // Traced, but nothing fired: said so, not left out.
  Result none = run(rs, R"({})");
  CHECK(render_text(report_of(none, false, true), *rs).find("\nTrace: no rule fired\n") != std::string::npos);
  CHECK(render_text(report_of(none), *rs).find("Trace") == std::string::npos);
}

TEST_CASE("text report: conflicts show both rules, their tests and the value that stood") {
  auto rs = rules_of(R"(
rule a "" source "Step 5.1" when step2ck < 250 then set strategy = dual end
rule b "" source "Step 5.1" when step2ck > 200 then set strategy = single end
rule general "" source "Step 4" when step2ck > 100 then set research_year = recommended end
rule exception "" source "FAQ 2" priority 10 when step2ck > 230 then set research_year = optional end
)");
  Result r = run(rs, R"({"step2ck": 240})");
  std::string text = render_text(report_of(r), *rs);
  CHECK(block(text, "Where rules disagreed") ==
        "Where rules disagreed\n"
        "  error: `strategy`: rule `a` set dual and rule `b` set single; dual stood\n"
        "    because it came first. The two rules have the same priority (0), so the\n"
        "    rules contradict each other: ask the rule authors to fix them.\n"
        "    kept: rule `a` (tiny.rules:2; guide: Step 5.1), priority 0, set dual because\n"
        "      \u2713 step2ck < 250   your step2ck: 240\n"
        "    rejected: rule `b` (tiny.rules:3; guide: Step 5.1), priority 0, set single\n"
        "      because\n"
        "      \u2713 step2ck > 200   your step2ck: 240\n"
        "  `research_year`: rule `exception` set optional and rule `general` set\n"
        "    recommended; optional stood (priority 10 over 0).\n"
        "    kept: rule `exception` (tiny.rules:5; guide: FAQ 2), priority 10, set\n"
        "      optional because\n"
        "      \u2713 step2ck > 230   your step2ck: 240\n"
        "    rejected: rule `general` (tiny.rules:4; guide: Step 4), priority 0, set\n"
        "      recommended because\n"
        "      \u2713 step2ck > 100   your step2ck: 240\n");
}

TEST_CASE("text report: a runaway stop is an error naming the rules") {
  auto rs = rules_of(R"(
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
rule start "" source "t" when step2ck > 100 then add remediation to red_flags end
)");
  Result r = run(rs, R"({"step2ck": 240})", 20);
  std::string text = render_text(report_of(r), *rs);
  CHECK(block(text, "Evaluation stopped") ==
        "Evaluation stopped\n"
        "  error: evaluation stopped at the limit of 20 repeated firings (23 firings in\n"
        "    all): the rules `reset` (tiny.rules:2), `regrow` (tiny.rules:3) keep firing\n"
        "    and keep changing `red_flags`; make their conditions exclusive, or test that\n"
        "    the conclusion is not already set\n"
        "  The advice above is incomplete: the rules kept firing without settling. Tell\n"
        "  the rule authors.\n");
}

TEST_CASE("text report: colour only when asked, and then ANSI bold and green/red") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  Report rep = report_of(r, true, false, {"strategy=single"});
  std::string plain = render_text(rep, *rs, TextStyle{false});
  std::string color = render_text(rep, *rs, TextStyle{true});
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK(color.find("\x1b[1mYour strategy\x1b[0m\n") != std::string::npos);
  CHECK(color.find("\x1b[32m\u2713\x1b[0m specialty_class is ultra") != std::string::npos);
  CHECK(color.find("\x1b[31m\u2717\x1b[0m step2ck >= extremely_strong_step2") != std::string::npos);
  // Without the escapes, the same text.
  std::string stripped;
  for (std::size_t i = 0; i < color.size(); ++i) {
    if (color[i] == '\x1b') {
      i = color.find('m', i);
      continue;
    }
    stripped += color[i];
  }
  CHECK(stripped == plain);
}

TEST_CASE("text report: long texts wrap at 80 columns with a hanging indent") {
  std::string words;
  for (int i = 0; i < 60; ++i) words += "word" + std::to_string(i) + " ";
  auto rs = rules_of("rule long \"\" source \"Step 1.1\" category assessment when step2ck > 1 then\n"
                     "  recommend long_text: \"" + words + "\"\nend\n");
  std::string text = render_text(report_of(run(rs, kSam)), *rs);
  std::istringstream lines(text);
  std::string line;
  int wrapped = 0;
  while (std::getline(lines, line)) {
    CHECK(columns(line) <= 80);
    if (line.rfind("    word", 0) == 0) ++wrapped;
  }
  CHECK(wrapped >= 4);
  CHECK(text.find("  \u2022 word0 word1 ") != std::string::npos);
}

TEST_CASE("JSON report: documented keys in a fixed order, values typed") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  std::string out = render_json(report_of(r), *rs);
  auto j = nlohmann::ordered_json::parse(out);
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  CHECK(keys == std::vector<std::string>{"schema_version", "profile", "rules", "conclusions", "recommendations", "warnings",
                                         "notes", "figures", "conflicts", "runaway", "firings", "explanation"});
  CHECK(j["schema_version"] == kReportSchemaVersion);
  CHECK(j["profile"] == nlohmann::ordered_json::parse(R"({"source": "sam.json", "name": "Sam"})"));
  CHECK(j["rules"].is_null());  // the caller did not say
  {
    Report rep = report_of(r);
    rep.used = RulesUsed{{"rules"}, "kb"};
    auto k = nlohmann::ordered_json::parse(render_json(rep, *rs));
    CHECK(k["rules"] == nlohmann::ordered_json::parse(R"({"paths": ["rules"], "kb": "kb"})"));
  }
  CHECK(j["conclusions"].size() == bundled_kb()->conclusions.size());
  CHECK(j["conclusions"].begin().key() == "specialty_class");
  CHECK(j["conclusions"]["strategy"] == "dual");
  CHECK(j["conclusions"]["backup_specialties"] == nlohmann::ordered_json::parse(R"(["internal_medicine"])"));
  CHECK(j["conclusions"]["research_year"].is_null());
  REQUIRE(j["recommendations"].size() == 1);
  CHECK(j["recommendations"][0].dump() ==
        R"({"id":"dual_application","category":"application","text":"Apply to dermatology and to a backup.",)"
        R"("guide":"Step 5.1","rule":{"name":"dual_otherwise","description":"Dual below an extremely strong score",)"
        R"("guide":"Step 5.1","file":"tiny.rules","line":18,"priority":0},"also":[]})");
  CHECK(j["warnings"][0]["text"] == "Commit to your backup.");
  CHECK(j["notes"][0]["text"] == "Your Step 2 CK of 252 is below 260.");
  CHECK(j["figures"][0]["id"] == "usimg_match_rate_2025");
  CHECK(j["figures"][0]["year"] == 2025);
  CHECK(j["figures"][0]["secondary"] == false);
  CHECK(j["conflicts"].empty());
  CHECK(j["runaway"].is_null());
  CHECK(j["firings"] == 3);
  CHECK(j["explanation"].dump() == R"({"how":null,"why_not":[],"trace":null})");
  CHECK(out.substr(0, 27) == "{\n  \"schema_version\": 1,\n  ");
  CHECK(out.back() == '\n');
}

TEST_CASE("JSON report: ranges and maps, explanation, why-not and trace") {
  auto rs = rules_of(std::string(kTiny) + R"(
rule apps "" source "Step 5.2" when strategy is dual then
  set applications[dermatology] = 80..100
  set applications[internal_medicine] = 40..60
end
)");
  Result r = run(rs, kSam);
  auto j = nlohmann::ordered_json::parse(render_json(report_of(r, true, true, {"strategy=single", "nothing"}), *rs));
  CHECK(j["conclusions"]["applications"].dump() ==
        R"({"dermatology":{"min":80,"max":100},"internal_medicine":{"min":40,"max":60}})");
  const auto& how = j["explanation"]["how"];
  CHECK(how["conclusions"]["research_year"].is_null());
  const auto& strategy = how["conclusions"]["strategy"];
  CHECK(strategy["fact"] == "strategy");
  CHECK(strategy["kind"] == "derived");
  CHECK(strategy["value"] == "dual");
  CHECK(strategy["path"].is_null());
  CHECK(strategy["rule"]["name"] == "dual_otherwise");
  REQUIRE(strategy["tests"].size() == 2);
  CHECK(strategy["tests"][1].dump() ==
        R"({"test":"step2ck < extremely_strong_step2","file":"tiny.rules","line":21,"result":true,)"
        R"("facts":[{"fact":"step2ck","kind":"field","value":252,"display":"252"}],)"
        R"("constants":["extremely_strong_step2 = 260"]})");
  REQUIRE(strategy["premises"].size() == 1);
  CHECK(strategy["premises"][0]["fact"] == "specialty_class");
  CHECK(strategy["premises"][0]["rule"]["name"] == "class_of_target");
  CHECK(how["recommendations"][0]["id"] == "dual_application");
  const auto& w = j["explanation"]["why_not"];
  REQUIRE(w.size() == 2);
  CHECK(w[0]["query"] == "strategy=single");
  CHECK(w[0]["error"].is_null());
  CHECK(w[0]["reached"] == false);
  CHECK(w[0]["actual"] == "`strategy` is dual");
  CHECK(w[0]["candidates"][0]["rule"]["name"] == "single_when_exceptional");
  CHECK(w[0]["candidates"][0]["failed"][0]["result"] == false);
  CHECK(w[1]["error"] == "no conclusion, recommendation or rule is called `nothing`");
  CHECK(w[1]["candidates"].empty());
  const auto& trace = j["explanation"]["trace"];
  REQUIRE(trace.size() == 4);
  CHECK(trace[0].dump() ==
        R"({"index":1,"rule":{"name":"class_of_target","description":"How competitive the target is",)"
        R"("guide":"Understanding the realities 1","file":"tiny.rules","line":3,"priority":0},)"
        R"("changes":["specialty_class: (not set) -> ultra"],"outputs":[]})");
}

TEST_CASE("JSON report: conflicts and a runaway") {
  auto rs = rules_of(R"(
rule a "" source "Step 5.1" when step2ck < 250 then set strategy = dual end
rule b "" source "Step 5.1" when step2ck > 200 then set strategy = single end
)");
  auto j = nlohmann::ordered_json::parse(render_json(report_of(run(rs, R"({"step2ck": 240})")), *rs));
  REQUIRE(j["conflicts"].size() == 1);
  const auto& c = j["conflicts"][0];
  CHECK(c["conclusion"] == "strategy");
  CHECK(c["error"] == true);
  CHECK(c["kept"] == "dual");
  CHECK(c["rejected"] == "single");
  CHECK(c["kept_by"]["name"] == "a");
  CHECK(c["rejected_tests"][0]["test"] == "step2ck > 200");

  auto loop = rules_of(R"(
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
rule start "" source "t" when step2ck > 100 then add remediation to red_flags end
)");
  auto k = nlohmann::ordered_json::parse(render_json(report_of(run(loop, R"({"step2ck": 240})", 10)), *loop));
  CHECK(k["runaway"].get<std::string>().rfind("evaluation stopped at the limit of 10 repeated firings (13 firings in all)", 0) == 0);
  CHECK(k["firings"] == 13);
}

TEST_CASE("JSON values: numbers past the integer range, non-finite numbers, and map keys in the map's order") {
  // `step2ck * 1e20` used to be cast to long long before the range check:
  // undefined behaviour (UBSan: float-cast-overflow).
  auto rs = rules_of(R"(
rule big "" source "t" when step2ck is present then
  set applications[internal_medicine] = step2ck * 100000000000000000000 .. step2ck * 100000000000000000000
  set applications[dermatology] = 80..100
end
)");
  auto j = nlohmann::ordered_json::parse(render_json(report_of(run(rs, kSam)), *rs));
  CHECK(j["conclusions"]["applications"].dump() ==
        R"({"internal_medicine":{"min":2.52e+22,"max":2.52e+22},"dermatology":{"min":80,"max":100}})");
  const KnowledgeBase& kb = *bundled_kb();
  CHECK(value_json(Value::number(-9.3e18), kb).dump() == "-9.3e+18");
  CHECK(value_json(Value::number(999999999999999.0), kb).dump() == "999999999999999");
  CHECK(value_json(Value::number(1e15), kb).dump() == "1e+15");
  CHECK(value_json(Value::number(2.5), kb).dump() == "2.5");
  CHECK(value_json(Value::number(std::nan("")), kb).is_null());
  CHECK(value_json(Value::number(HUGE_VAL), kb).is_null());
}

TEST_CASE("Markdown report: the same sections as a document") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  std::string md = render_markdown(report_of(r, true, false, {"strategy=single"}), *rs);
  CHECK(md.rfind("# Advise report for Sam\n\nProfile: `sam.json`\n\n## Your strategy\n\n"
                 "| Decision | Advice |\n|---|---|\n| `specialty_class` | ultra |\n| `strategy` | dual |\n",
                 0) == 0);
  CHECK(md.find("| `research_year` | *not reached* (no rule decides it) |\n") != std::string::npos);
  CHECK(md.find("### Application\n\n- Apply to dermatology and to a backup.  \n"
                "  \u2014 guide: Step 5.1 (rule `dual_otherwise`, `tiny.rules:18`)\n") != std::string::npos);
  CHECK(md.find("## Warnings\n\n- **Warning:** Commit to your backup.  \n") != std::string::npos);
  CHECK(md.find("### `strategy` = dual\n\n"
                "- set by rule `dual_otherwise` (`tiny.rules:18`; guide: Step 5.1): \u201cDual below an extremely "
                "strong score\u201d\n"
                "- \u2713 `specialty_class is ultra` \u2014 specialty_class: ultra\n"
                "- \u2713 `step2ck < extremely_strong_step2` \u2014 your step2ck: 252 "
                "(`extremely_strong_step2 = 260`)\n"
                "- given: `$.step2ck`\n"
                "- `specialty_class` = ultra (set by rule `class_of_target`; see above)\n") != std::string::npos);
  CHECK(md.find("## Why not `strategy` = single?\n\nNot reached: `strategy` is dual.\n") != std::string::npos);
  CHECK(md.find("    - \u2717 `step2ck >= extremely_strong_step2` \u2014 your step2ck: 252") != std::string::npos);
}

TEST_CASE("report model: one wording for text and Markdown, sentences as typed parts") {
  // Sentences are built once by build_report; the renderers only choose how
  // names look. Markdown used to say "did not apply" where text said "did not
  // apply to you", and left out "Tell the rule authors." after a runaway.
  auto rs = rules_of(R"(
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
rule start "" source "t" when step2ck > 100 then add remediation to red_flags end
rule gap "" source "t" when step2ck > 290 then set research_year = recommended end
)");
  Report rep = report_of(run(rs, R"({"step2ck": 240})", 20));
  const ConclusionEntry* ry = nullptr;
  for (const ConclusionEntry& c : rep.conclusions)
    if (c.name == "research_year") ry = &c;
  REQUIRE(ry);
  CHECK(ry->rules_setting == 1);
  CHECK(ry->not_reached.plain() == "evaluation stopped early");
  std::string consequence =
      "The advice above is incomplete: the rules kept firing without settling. Tell the rule authors.";
  CHECK(rep.runaway_consequence.plain() == consequence);
  CHECK(render_markdown(rep, *rs).find("\n\n" + consequence + "\n") != std::string::npos);

  auto tiny = rules_of(kTiny);
  Report sam = report_of(run(tiny, R"({"name": "Sam", "target_specialty": "internal_medicine", "step2ck": 252})"),
                         false, false, {"strategy=single"});
  std::string md = render_markdown(sam, *tiny);
  CHECK(md.find("| `strategy` | *not reached* (none of the 2 rules that decide it applied to you) |") != std::string::npos);
  const WhyNot& w = sam.why_not.at(0);
  REQUIRE(w.subject.spans.size() == 3);
  CHECK(w.subject.spans[0].kind == Span::Kind::Code);
  CHECK(w.subject.spans[2].kind == Span::Kind::Value);
  CHECK(w.subject.marked() == "`strategy` = single");
  CHECK(w.subject.plain() == "strategy = single");
  CHECK(md.find("## Why not `strategy` = single?\n\nNot reached: none of the 2 rules that set `strategy` applied.\n") !=
        std::string::npos);
}

TEST_CASE("Markdown report: texts that look like markup are escaped") {
  auto rs = rules_of("rule m \"\" source \"Step 1.1\" category assessment when step2ck > 1 then\n"
                     "  recommend odd: \"Use *all* | [links] <b> and snake_case, not _this_.\"\nend\n");
  std::string md = render_markdown(report_of(run(rs, kSam)), *rs);
  CHECK(md.find("- Use \\*all\\* \\| \\[links\\] \\<b> and snake_case, not \\_this\\_.  \n") != std::string::npos);
}

TEST_CASE("DOT graph: facts read -> rule -> facts set, with name-based ids") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, kSam);
  std::string dot = render_dot(report_of(r, true, false, {"strategy=single"}), *rs);
  CHECK(dot ==
        "// The derivation graph of an Advise report. Render: dot -Tsvg FILE.dot > FILE.svg\n"
        "digraph advise {\n"
        "  graph [rankdir=LR, labelloc=t, fontname=\"Helvetica\", label=\"Advise: Sam\"];\n"
        "  node [fontname=\"Helvetica\", fontsize=10];\n"
        "  edge [fontname=\"Helvetica\", fontsize=9];\n"
        "\n"
        "  // profile fields\n"
        "  \"field:target_specialty\" [shape=ellipse, label=\"target_specialty = dermatology\\ngiven: "
        "$.target_specialty\"];\n"
        "  \"field:step2ck\" [shape=ellipse, label=\"step2ck = 252\\ngiven: $.step2ck\"];\n"
        "\n"
        "  // conclusions\n"
        "  \"conclusion:specialty_class\" [shape=box, style=filled, fillcolor=\"#e8f0fe\", label=\"specialty_class = "
        "ultra\"];\n"
        "  \"conclusion:strategy\" [shape=box, style=filled, fillcolor=\"#e8f0fe\", label=\"strategy = dual\"];\n"
        "  \"conclusion:backup_specialties\" [shape=box, style=filled, fillcolor=\"#e8f0fe\", "
        "label=\"backup_specialties = internal_medicine\"];\n"
        "\n"
        "  // rules\n"
        "  \"rule:class_of_target\" [shape=box, style=rounded, label=\"class_of_target\\nguide: Understanding the "
        "realities 1\\ntiny.rules:3\"];\n"
        "  \"rule:dual_otherwise\" [shape=box, style=rounded, label=\"dual_otherwise\\nguide: Step "
        "5.1\\ntiny.rules:18\"];\n"
        "  \"rule:guide_backups\" [shape=box, style=rounded, label=\"guide_backups\\nguide: Step "
        "5.1\\ntiny.rules:27\"];\n"
        "  \"rule:single_when_exceptional\" [shape=box, style=rounded, label=\"single_when_exceptional\\nguide: Step "
        "5.1\\ntiny.rules:9\"];\n"
        "\n"
        "  // recommendations\n"
        "  \"recommend:dual_application\" [shape=note, label=\"recommend dual_application\\n(application)\"];\n"
        "\n"
        "  // why-not questions\n"
        "  \"why_not:strategy=single\" [shape=octagon, style=dashed, label=\"why not strategy = single?\\nstrategy is "
        "dual\"];\n"
        "\n"
        "  // edges: facts read -> rule -> facts set\n"
        "  \"rule:class_of_target\" -> \"conclusion:specialty_class\";\n"
        "  \"field:target_specialty\" -> \"rule:class_of_target\" [label=\"\u2713 target_specialty is present\"];\n"
        "  \"rule:dual_otherwise\" -> \"conclusion:strategy\";\n"
        "  \"conclusion:specialty_class\" -> \"rule:dual_otherwise\" [label=\"\u2713 specialty_class is ultra\"];\n"
        "  \"field:step2ck\" -> \"rule:dual_otherwise\" [label=\"\u2713 step2ck < extremely_strong_step2\"];\n"
        "  \"rule:guide_backups\" -> \"conclusion:backup_specialties\";\n"
        "  \"conclusion:strategy\" -> \"rule:guide_backups\" [label=\"\u2713 strategy is dual\"];\n"
        "  \"rule:dual_otherwise\" -> \"recommend:dual_application\";\n"
        "  \"rule:single_when_exceptional\" -> \"why_not:strategy=single\" [label=\"did not apply\", style=dashed, "
        "color=red];\n"
        "  \"field:step2ck\" -> \"rule:single_when_exceptional\" [label=\"\u2717 step2ck >= extremely_strong_step2\", "
        "color=red];\n"
        "}\n");
}

TEST_CASE("DOT graph: quotes and backslashes in labels are escaped") {
  auto rs = rules_of(kTiny);
  Result r = run(rs, R"({"name": "Sam \"the\" \\ applicant", "target_specialty": "dermatology", "step2ck": 252})");
  std::string dot = render_dot(report_of(r, true), *rs);
  CHECK(dot.find("label=\"Advise: Sam \\\"the\\\" \\\\ applicant\"") != std::string::npos);
}

TEST_CASE("renderers: control characters from a profile never reach the output") {
  // ESC, BEL, a C1 CSI (U+009B) and a right-to-left override (U+202E): shown
  // as escapes by the one sanitizer (kb/sanitize.hpp), never sent.
  auto rs = rules_of(kTiny);
  Result r = run(rs, R"({"name": "Sam\u001b[2J\nEvil\u0007\u009b1m\u202ex", "target_specialty": "dermatology", "step2ck": 252})");
  Report rep = report_of(r, true, true, {"strategy=single"});
  auto raw = [](const std::string& s) {
    return s.find('\x1b') != std::string::npos || s.find('\a') != std::string::npos ||
           s.find("\xC2\x9B") != std::string::npos || s.find("\xE2\x80\xAE") != std::string::npos;
  };
  std::string text = render_text(rep, *rs);
  CHECK_FALSE(raw(text));
  CHECK(text.rfind("Advise report for Sam\\x1b[2J Evil\\x07\\u009b1m\\u202ex\n", 0) == 0);
  std::string md = render_markdown(rep, *rs);
  CHECK_FALSE(raw(md));
  CHECK(md.rfind("# Advise report for Sam\\\\x1b\\[2J Evil\\\\x07\\\\u009b1m\\\\u202ex\n", 0) == 0);
  std::string dot = render_dot(rep, *rs);
  CHECK_FALSE(raw(dot));
  CHECK(dot.find("label=\"Advise: Sam\\\\x1b[2J\\nEvil\\\\x07\\\\u009b1m\\\\u202ex\"") != std::string::npos);
  // JSON keeps the value, with every control escaped.
  std::string json = render_json(rep, *rs);
  CHECK_FALSE(raw(json));
  CHECK(json.find(R"("name": "Sam\u001b[2J\nEvil\u0007\u009b1m\u202ex")") != std::string::npos);
  auto j = nlohmann::json::parse(json);
  CHECK(j["profile"]["name"] == "Sam\x1b[2J\nEvil\a\xC2\x9B" "1m\xE2\x80\xAEx");
}

TEST_CASE("renderers: the same input gives byte-identical output") {
  auto rs = rules_of(kTiny);
  for (int explain = 0; explain < 2; ++explain) {
    Report a = report_of(run(rs, kSam), explain, true, {"strategy=single", "research_year"});
    Report b = report_of(run(rs, kSam), explain, true, {"strategy=single", "research_year"});
    CHECK(render_text(a, *rs) == render_text(b, *rs));
    CHECK(render_text(a, *rs, TextStyle{true}) == render_text(b, *rs, TextStyle{true}));
    CHECK(render_json(a, *rs) == render_json(b, *rs));
    CHECK(render_markdown(a, *rs) == render_markdown(b, *rs));
    CHECK(render_dot(a, *rs) == render_dot(b, *rs));
  }
}

namespace {

cli::RunOptions run_options(const TempDir& d, const std::string& rules) {
  cli::RunOptions o;
  o.kb_dir = std::string(ADVISE_SOURCE_DIR) + "/kb";
  o.rules = {d.file("tiny.rules", rules)};
  o.profile = d.file("sam.json", kSam);
  return o;
}

}  // namespace

TEST_CASE("advise run --output: the report goes to the file, nothing to stdout") {
  spdlog::set_level(spdlog::level::warn);
  TempDir d;
  cli::RunOptions o = run_options(d, kTiny);
  o.format = "json";
  o.output = (d.path / "report.json").string();
  std::ostringstream out, err;
  CHECK(cli::cmd_run(o, out, err) == 0);
  CHECK(out.str().empty());
  CHECK(err.str().empty());
  auto j = nlohmann::json::parse(read_file(o.output));
  CHECK(j["conclusions"]["strategy"] == "dual");
  // The same report as on stdout.
  cli::RunOptions p = o;
  p.output.clear();
  std::ostringstream out2, err2;
  CHECK(cli::cmd_run(p, out2, err2) == 0);
  CHECK(out2.str() == read_file(o.output));
}

TEST_CASE("advise run: exit 1 for an equal-priority conflict or a runaway, 2 for an unknown --why-not") {
  spdlog::set_level(spdlog::level::warn);
  TempDir d;
  {
    cli::RunOptions o = run_options(d, R"(
rule a "" source "t" when step2ck < 255 then set strategy = dual end
rule b "" source "t" when step2ck > 200 then set strategy = single end
)");
    std::ostringstream out, err;
    CHECK(cli::cmd_run(o, out, err) == 1);
    CHECK(err.str() ==
          "advise: the rules contradict each other for this profile (1 conflict between rules of equal priority); "
          "see the report\n");
    CHECK(out.str().find("error: `strategy`: rule `a` set dual") != std::string::npos);
  }
  {
    cli::RunOptions o = run_options(d, R"(
rule a "" source "t" when step2ck < 255 then set strategy = dual end
rule b "" source "t" priority 1 when step2ck > 200 then set strategy = single end
)");
    std::ostringstream out, err;
    CHECK(cli::cmd_run(o, out, err) == 0);  // a priority override is not an error
  }
  {
    cli::RunOptions o = run_options(d, R"(
rule reset "" source "t" when red_flags contains remediation then set red_flags = [professionalism] end
rule regrow "" source "t" when red_flags contains professionalism then add remediation to red_flags end
rule start "" source "t" when step2ck > 100 then add remediation to red_flags end
)");
    o.max_firings = 7;
    std::ostringstream out, err;
    CHECK(cli::cmd_run(o, out, err) == 1);
    CHECK(err.str().rfind("advise: evaluation stopped at the limit of 7 repeated firings (10 firings in all): the rules `reset`", 0) == 0);
  }
  {
    cli::RunOptions o = run_options(d, kTiny);
    o.why_not = {"stratgy"};
    std::ostringstream out, err;
    CHECK(cli::cmd_run(o, out, err) == 2);
    CHECK(err.str() ==
          "advise: --why-not stratgy: no conclusion, recommendation or rule is called `stratgy`; did you mean "
          "`strategy`?\n");
  }
}

TEST_CASE("advise run: a bad profile is every problem on stderr, exit 2, nothing on stdout") {
  spdlog::set_level(spdlog::level::warn);
  TempDir d;
  cli::RunOptions o = run_options(d, kTiny);
  o.profile = d.file("bad.json", "{\"step2ck\": 400,\n \"stage\": \"ms5\"}");
  std::ostringstream out, err;
  CHECK(cli::cmd_run(o, out, err) == 2);
  CHECK(out.str().empty());
  // Each problem with its place (the wording of each is the profile
  // validator's, tested in profile_test.cpp), then one summary line.
  std::string bad = o.profile;
  std::istringstream lines(err.str());
  std::string line;
  std::vector<std::string> got;
  while (std::getline(lines, line)) got.push_back(line);
  REQUIRE(got.size() == 3);
  CHECK(got[0].rfind(bad + ":1:13: error: at $.step2ck: ", 0) == 0);
  CHECK(got[1].rfind(bad + ":2:11: error: at $.stage: ", 0) == 0);
  CHECK(got[2] == "advise: " + bad + ": 2 problems in the profile; nothing was evaluated");
}

TEST_CASE("render: a long program list's entries are rendered in two halves and read back in order",
          "[render][program_list][concurrency]") {
  using render_detail::EntryTexts;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, kProgramListSplit - 1, kProgramListSplit, kProgramListSplit + 3}) {
    std::vector<ProgramEntry> entries(n);
    for (std::size_t i = 0; i < n; ++i) entries[i].name = std::string(i % 7, 'x') + std::to_string(i);
    EntryTexts texts(entries, [](std::string& out, const ProgramEntry& e) { out += "<" + e.name + ">\n"; });
    std::string joined, expected;
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(texts[i] == "<" + entries[i].name + ">\n");
      joined += texts[i];
      expected += "<" + entries[i].name + ">\n";
    }
    CHECK(joined == expected);
  }
}

TEST_CASE("render: Markdown escapes only what is markup, wherever it falls in a text", "[render]") {
  using render_detail::md;
  CHECK(md("plain words") == "plain words");
  CHECK(md("# heading-like, a-b and snake_case") == "\\# heading-like, a-b and snake_case");
  CHECK(md("_start and end_ *bold* `code` [link] a|b <tag>") ==
        "\\_start and end\\_ \\*bold\\* \\`code\\` \\[link\\] a\\|b \\<tag>");
  CHECK(md("tab\tand\nnewline") == "tab and newline");
}
