// Regression cases (`advise test`, `advise diff`): the case-file parser and
// its messages, the runner on a tiny rule set, --update round trips,
// coverage figures, JUnit XML and the outcome diff.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "cases/cases.hpp"
#include "app/commands.hpp"
#include "app/common.hpp"
#include "cases/coverage.hpp"
#include "cases/junit.hpp"
#include "dsl/checker.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
using namespace advise::cases;
namespace fs = std::filesystem;

namespace {

const char* kRules = R"(
rule class_of_target "How competitive the target is"
  source "Realities"
  priority 30
when target_specialty is present
then
  set specialty_class = target_specialty.class
end

rule dual_below_band "Dual-apply below the band"
  source "Step 5.1"
when specialty_class is ultra and step2ck < 250
then
  set strategy = dual
  add internal_medicine to backup_specialties
  recommend application dual_application: "Apply to a backup too."
end

rule single_in_band "Single in the band"
  source "Step 5.1"
when specialty_class is ultra and step2ck >= 250
then
  set strategy = single
  recommend application single_application: "Apply alone."
end

rule derm_applications "How many dermatology programs"
  source "Step 5.2"
when target_specialty is dermatology and strategy is present
then
  set applications[dermatology] = 60..100
end
)";

// A rule set and the source manager that holds it (case files join it).
struct World {
  std::shared_ptr<SourceManager> sm = std::make_shared<SourceManager>();
  std::shared_ptr<const RuleSet> rules;
  explicit World(const std::string& text = kRules) {
    Diagnostics d;
    std::uint32_t id = sm->add("t.rules", text);
    LoadedRules files;
    files.files.push_back(parse_source(*sm, id, d));
    auto rs = check_rules(files, bundled_kb(), sm, d);
    INFO(render_text(*sm, d));
    REQUIRE(!d.has_errors());
    REQUIRE(rs);
    rules = std::make_shared<const RuleSet>(std::move(*rs));
  }
  // Loads case text; the rendered diagnostics (empty when clean).
  std::optional<Suite> load(const std::string& text, std::string& diagnostics, const std::string& name = "t.cases") {
    Diagnostics d;
    std::uint32_t id = sm->add(name, text);
    auto suite = load_suite_from_buffers({id}, rules, *sm, d, cli::suite_env());
    diagnostics = render_text(*sm, d);
    return suite;
  }
  Suite load_ok(const std::string& text) {
    std::string diags;
    auto s = load(text, diags);
    INFO(diags);
    REQUIRE(s);
    REQUIRE(diags.empty());
    return std::move(*s);
  }
};

std::string first_error(World& w, const std::string& text) {
  std::string diags;
  auto s = w.load(text, diags);
  CHECK(!s);
  return diags.substr(0, diags.find('\n'));
}

const char* kDerm = R"({ "target_specialty": "dermatology", "step2ck": 240 })";

std::string derm_case(const std::string& expectations) {
  return std::string("case \"derm\"\n  profile ") + kDerm + "\n" + expectations + "end\n";
}

std::vector<CaseResult> run(const Suite& s, Coverage* coverage = nullptr) {
  Engine engine(s.rules);
  std::vector<CaseResult> out;
  Result r;
  for (const CompiledCase& c : s.cases) {
    out.push_back(run_case(c, engine, r));
    if (coverage) coverage->add(r);
  }
  return out;
}

}  // namespace

TEST_CASE("case grammar: pegtl::analyze finds no problems") { CHECK(analyze_case_grammar() == 0); }

TEST_CASE("case files: every expectation form parses") {
  World w;
  Suite s = w.load_ok(R"(# a comment
case "derm"   # trailing comment
  profile { "target_specialty": "dermatology",
            "step2ck": 240 }
  expect strategy == dual  # why
  expect not recommended single_application
  expect recommended dual_application
  expect fired dual_below_band
  expect not fired single_in_band
  expect applications[dermatology] explained by derm_applications
  expect strategy explained by dual_below_band
  expect backup_specialties contains internal_medicine and strategy is dual
end

case "by path, no expectations"
  profile ")" ADVISE_SOURCE_DIR R"(/examples/profiles/derm_long_shot.json"
end
)");
  REQUIRE(s.files.size() == 1);
  REQUIRE(s.files[0]->cases.size() == 2);
  const Case& c = s.files[0]->cases[0];
  CHECK(c.name == "derm");
  REQUIRE(c.profile);
  CHECK(c.profile->is_inline);
  REQUIRE(c.expectations.size() == 8);
  CHECK(c.expectations[0].kind == ExpectKind::Condition);
  CHECK(c.expectations[1].kind == ExpectKind::Recommended);
  CHECK(c.expectations[1].negated);
  CHECK(c.expectations[1].id.name == "single_application");
  CHECK(!c.expectations[2].negated);
  CHECK(c.expectations[3].kind == ExpectKind::Fired);
  CHECK(c.expectations[4].negated);
  CHECK(c.expectations[5].kind == ExpectKind::ExplainedBy);
  CHECK(c.expectations[5].id.name == "derm_applications");
  CHECK(w.sm->text(c.expectations[0].body.file).substr(c.expectations[0].body.begin,
                                                       c.expectations[0].body.end - c.expectations[0].body.begin) ==
        "strategy == dual");
  CHECK(!s.files[0]->cases[1].profile->is_inline);
  CHECK(s.files[0]->cases[1].profile->path == ADVISE_SOURCE_DIR "/examples/profiles/derm_long_shot.json");
}

TEST_CASE("case files: CRLF line ends and a byte-order mark") {
  World w;
  Suite s = w.load_ok("\xEF\xBB\xBF# saved by a Windows editor\r\ncase \"crlf\"\r\n  profile { \"target_specialty\": "
                      "\"dermatology\", \"step2ck\": 240 }\r\n  expect strategy == dual  # why\r\n"
                      "  expect fired dual_below_band\r\nend\r\n");
  REQUIRE(s.cases.size() == 1);
  CHECK(s.cases[0].expectations.size() == 2);
  for (const CaseResult& r : run(s)) CHECK(r.passed());
}

TEST_CASE("case files: syntax errors, with exact messages") {
  World w;
  CHECK(first_error(w, "case derm\nend\n") ==
        "t.cases:1:6: error: expected the case's name in quotes, as in `case \"derm long shot\"`, found `derm` "
        "[syntax-error]");
  CHECK(first_error(w, "case \"derm\n") ==
        "t.cases:1:6: error: unterminated text: close it with `\"` on the same line [unterminated-string]");
  CHECK(first_error(w, derm_case("  expcet strategy == dual\n")) ==
        "t.cases:3:3: error: expected `profile`, `expect` or `end`, found `expcet`; did you mean `expect`? "
        "[syntax-error]");
  CHECK(first_error(w, "expect strategy == dual\n") ==
        "t.cases:1:1: error: `expect` outside a case; start one with `case \"NAME\"` and a `profile` "
        "[syntax-error]");
  CHECK(first_error(w, "cas \"x\"\n") ==
        "t.cases:1:1: error: expected `case` to start a case, found `cas`; did you mean `case`? [syntax-error]");
  CHECK(first_error(w, derm_case("  expect recommended\n")) ==
        "t.cases:3:21: error: expected a recommendation id after `recommended`, found the end of the line "
        "[syntax-error]");
  CHECK(first_error(w, derm_case("  expect fired 12\n")) ==
        "t.cases:3:16: error: expected a rule name after `fired`, found `12` [syntax-error]");
  CHECK(first_error(w, derm_case("  expect strategy explained dual_below_band\n")) ==
        "t.cases:3:29: error: expected `by` after `explained`, found `dual_below_band` [syntax-error]");
  CHECK(first_error(w, derm_case("  expect strategy == dual extra\n")) ==
        "t.cases:3:27: error: expected the end of the expectation, found `extra`; write one expectation per line "
        "[syntax-error]");
  // The condition's text ends with its line, not with a placeholder's `}`
  // (the expression parser said "the closing `}`" before it was told).
  CHECK(first_error(w, derm_case("  expect strategy ==\n")) ==
        "t.cases:3:21: error: expected a value, found the end of the line [syntax-error]");
  // What was found, in the rule parser's words (dsl/lexical.hpp): a
  // direction override is named, never printed; a text in quotes is whole.
  CHECK(first_error(w, derm_case("  expect fired \xE2\x80\xAE" "x\n")) ==
        "t.cases:3:16: error: expected a rule name after `fired`, found U+202E (an invisible or control character) "
        "[syntax-error]");
  CHECK(first_error(w, derm_case("  expect recommended \"dual\"\n")) ==
        "t.cases:3:22: error: expected a recommendation id after `recommended`, found `\"dual\"` [syntax-error]");
  CHECK(first_error(w, derm_case("  expect\n")) ==
        "t.cases:3:9: error: expected what to expect after `expect`: a condition (`strategy == dual`), "
        "`recommended ID`, `fired RULE` or `CONCLUSION explained by RULE` [syntax-error]");
  CHECK(first_error(w, derm_case("  expect fired dual_below_band and more\n")) ==
        "t.cases:3:32: error: expected the end of the line after the expectation, found `and`; write one "
        "expectation per line [syntax-error]");
  CHECK(first_error(w, "case \"x\"\n  profile\nend\n") ==
        "t.cases:2:10: error: expected the profile after `profile`: a path in quotes, as in `profile "
        "\"profiles/derm.json\"`, or a JSON object, as in `profile { \"stage\": \"ms3\" }`; found the end of the "
        "line [syntax-error]");
  CHECK(first_error(w, "case \"x\"\n  profile { \"stage\": \"ms3\"\nend\n") ==
        "t.cases:2:11: error: this `{` is never closed: end the inline profile with `}` [unclosed-block]");
  CHECK(first_error(w, "case \"x\"\n  expect strategy == dual\nend\n") ==
        "t.cases:1:1: error: case \"x\" has no profile; add `profile \"FILE.json\"` or `profile { ... }` "
        "[syntax-error]");
  CHECK(first_error(w, "end\n") == "t.cases:1:1: error: `end` without a `case` to close [syntax-error]");
}

TEST_CASE("case files: structure errors name the lines involved") {
  World w;
  std::string diags;
  auto s = w.load(std::string("case \"a\"\n  profile ") + kDerm + "\ncase \"b\"\n  profile " + kDerm +
                      "\n  profile " + kDerm + "\n",
                  diags);
  CHECK(!s);
  CHECK(diags ==
        "t.cases:3:1: error: `end` expected (to close `case` at line 1) before the next `case` [unclosed-block]\n"
        "  case \"b\"\n"
        "  ^~~~\n"
        "t.cases:1:1: note: the case opened here\n"
        "  case \"a\"\n"
        "  ^~~~\n"
        "t.cases:5:3: error: a case has one profile; this one repeats the profile of line 4 [duplicate-clause]\n"
        "    profile { \"target_specialty\": \"dermatology\", \"step2ck\": 240 }\n"
        "    ^~~~~~~\n"
        "t.cases:4:11: note: the case's profile\n"
        "    profile { \"target_specialty\": \"dermatology\", \"step2ck\": 240 }\n"
        "            ^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
        "t.cases:5:64: error: `end` expected (to close `case` at line 3), found the end of the file "
        "[unclosed-block]\n"
        "    profile { \"target_specialty\": \"dermatology\", \"step2ck\": 240 }\n"
        "                                                                 ^\n"
        "t.cases:3:1: note: the case opened here\n"
        "  case \"b\"\n"
        "  ^~~~\n");
}

TEST_CASE("case files: every error of a file is reported in one run") {
  World w;
  std::string diags;
  auto s = w.load(derm_case("  expect strategy == duel\n  expcet x\n  expect fired nope\n"), diags);
  CHECK(!s);
  CHECK(diags.find("t.cases:3:22: error: `duel` is not a strategy value; did you mean `dual`? [unknown-value]") !=
        std::string::npos);
  CHECK(diags.find("t.cases:4:3: error: expected `profile`, `expect` or `end`") != std::string::npos);
  CHECK(diags.find("t.cases:5:16: error: no rule is called `nope`") != std::string::npos);
}

TEST_CASE("case files: names are checked against the rules, with suggestions") {
  World w;
  CHECK(first_error(w, derm_case("  expect strategy == duel\n")) ==
        "t.cases:3:22: error: `duel` is not a strategy value; did you mean `dual`? [unknown-value]");
  CHECK(first_error(w, derm_case("  expect recommended dual_aplication\n")) ==
        "t.cases:3:22: error: no rule recommends `dual_aplication`; did you mean `dual_application`? "
        "[unknown-name]");
  CHECK(first_error(w, derm_case("  expect recommended dual_below_band\n")) ==
        "t.cases:3:22: error: no rule recommends `dual_below_band` (it is a rule; write `expect fired "
        "dual_below_band`) [unknown-name]");
  CHECK(first_error(w, derm_case("  expect fired dual_below_bnd\n")) ==
        "t.cases:3:16: error: no rule is called `dual_below_bnd`; did you mean `dual_below_band`? [unknown-name]");
  CHECK(first_error(w, derm_case("  expect step2ck explained by dual_below_band\n")) ==
        "t.cases:3:10: error: `step2ck` is a profile field, given by the applicant; `explained by` needs a "
        "conclusion [not-a-conclusion]");
  CHECK(first_error(w, derm_case("  expect applications[dermatolgy] explained by derm_applications\n")) ==
        "t.cases:3:23: error: `dermatolgy` is not a specialty value; did you mean `dermatology`? [unknown-value]");
  CHECK(first_error(w, derm_case("  expect strategy\n")) ==
        "t.cases:3:10: error: `strategy` is a strategy value, not a condition; compare it with something, as in "
        "`strategy is present` [type-mismatch]");
}

TEST_CASE("case files: bad profiles point at the field") {
  World w;
  CHECK(first_error(w, "case \"x\"\n  profile { \"target_specialty\": \"dermatolgy\" }\nend\n") ==
        "t.cases:2:33: error: in the profile: at $.target_specialty: unknown specialty `dermatolgy`; did you mean "
        "`dermatology`? [unknown-value]");
  CHECK(first_error(w, "case \"x\"\n  profile { \"step2_ck\": 240 }\nend\n").rfind(
            "t.cases:2:13: error: in the profile: at $.step2_ck: unknown field `step2_ck`", 0) == 0);
  CHECK(first_error(w, "case \"x\"\n  profile \"no/such.json\"\nend\n") ==
        "t.cases:2:11: error: cannot read the profile `no/such.json`: no such file (looked for no/such.json; the "
        "path is relative to the case file) [include-not-found]");
}

TEST_CASE("runner: passing and failing expectations of every form") {
  World w;
  Suite s = w.load_ok(derm_case(
      "  expect strategy == dual\n"
      "  expect applications[dermatology] == 60..100\n"
      "  expect recommended dual_application\n"
      "  expect not recommended single_application\n"
      "  expect fired dual_below_band\n"
      "  expect not fired single_in_band\n"
      "  expect strategy explained by dual_below_band\n"
      "  expect strategy explained by class_of_target\n"  // a premise counts
      "  expect applications[dermatology] explained by derm_applications\n"
      "  expect research_year is missing\n"
      "  expect strategy == single\n"
      "  expect recommended single_application\n"
      "  expect fired single_in_band\n"
      "  expect strategy explained by single_in_band\n"));
  auto results = run(s);
  REQUIRE(results.size() == 1);
  const CaseResult& r = results[0];
  CHECK(r.expectations == 14);
  REQUIRE(r.failures.size() == 4);
  CHECK(r.failures[0].where == "t.cases:13");
  CHECK(r.failures[0].expected == "expect strategy == single");
  CHECK(r.failures[0].actual == std::vector<std::string>{"strategy = dual"});
  CHECK(r.failures[0].explanation ==
        std::vector<std::string>{
            "  strategy = dual was set by rule `dual_below_band` (t.rules:10, Step 5.1), because",
            "    specialty_class is ultra  [specialty_class = ultra]",
            "    step2ck < 250  [step2ck = 240]",
            "    specialty_class = ultra was set by rule `class_of_target` (t.rules:2, Realities), because",
            "      target_specialty is present  [target_specialty = dermatology]",
        });
  CHECK(r.failures[0].updated == "expect strategy == dual");
  CHECK(r.failures[1].actual == std::vector<std::string>{"`single_application` was not recommended"});
  CHECK(r.failures[1].explanation ==
        std::vector<std::string>{
            "  it is recommended by rule `single_in_band` (t.rules:19, Step 5.1), but its condition does not hold:",
            "    step2ck >= 250 is false  [step2ck = 240]",
        });
  CHECK(r.failures[2].actual ==
        std::vector<std::string>{"rule `single_in_band` (t.rules:19, Step 5.1) did not fire"});
  CHECK(r.failures[3].actual ==
        std::vector<std::string>{
            "strategy = dual, explained by `dual_below_band` and `class_of_target`, not by `single_in_band`"});
  CHECK(r.failures[3].explanation ==
        std::vector<std::string>{"  strategy = dual was set by rule `dual_below_band` (t.rules:10, Step 5.1); "
                                 "explained above"});
  CHECK(r.failures[3].updated == "expect strategy explained by dual_below_band");
}

TEST_CASE("runner: a missing conclusion names the rules that could set it") {
  World w;
  Suite s = w.load_ok("case \"no score\"\n  profile { \"target_specialty\": \"dermatology\" }\n"
                      "  expect strategy == dual\nend\n");
  auto results = run(s);
  REQUIRE(results[0].failures.size() == 1);
  const ExpectationFailure& f = results[0].failures[0];
  CHECK(f.actual == std::vector<std::string>{"strategy is missing"});
  CHECK(f.explanation ==
        std::vector<std::string>{
            "  no rule that sets strategy applied:",
            "    rule `dual_below_band` (t.rules:10, Step 5.1): step2ck < 250 is unknown  [step2ck is missing]",
            "    rule `single_in_band` (t.rules:19, Step 5.1): step2ck >= 250 is unknown  [step2ck is missing]",
        });
  CHECK(f.updated == "expect strategy is missing");
}

TEST_CASE("runner: conflicting rules fail the case") {
  World w(std::string(kRules) + R"(
rule also_single "x"
  source "t"
when specialty_class is ultra
then
  set strategy = single
end
)");
  Suite s = w.load_ok(derm_case(""));
  auto results = run(s);
  REQUIRE(results[0].problems.size() == 1);
  CHECK(!results[0].passed());
  CHECK(results[0].problems[0].rfind("the rules conflict: rule `", 0) == 0);
}

TEST_CASE("--update: rewritten expectations pass, comments and layout stay") {
  World w;
  std::string text = "# header comment\n" + derm_case(
                         "  expect strategy == single   # keep me\n"
                         "  expect strategy is single\n"
                         "  expect research_year == optional\n"
                         "  expect backup_specialties not contains internal_medicine\n"
                         "  expect applications[dermatology] == 80..100\n"
                         "  expect recommended single_application\n"
                         "  expect not recommended dual_application\n"
                         "  expect not fired dual_below_band\n"
                         "  expect strategy explained by single_in_band\n"
                         "  expect strategy != dual\n"
                         "  expect count(backup_specialties) == 3\n"
                         "  expect strategy == dual or step2ck > 260\n");  // holds: left alone
  Suite s = w.load_ok(text);
  auto results = run(s);
  std::vector<Edit> edits;
  std::size_t not_written = 0;
  for (const CaseResult& r : results)
    for (const ExpectationFailure& f : r.failures) {
      if (f.update) edits.push_back(*f.update);
      else ++not_written;
    }
  CHECK(not_written == 0);
  CHECK(edits.size() == 11);
  std::string updated = apply_edits(w.sm->text(s.files[0]->file), edits);
  CHECK(updated == "# header comment\n" + derm_case(
                       "  expect strategy == dual   # keep me\n"
                       "  expect strategy is dual\n"
                       "  expect research_year is missing\n"
                       "  expect backup_specialties contains internal_medicine\n"
                       "  expect applications[dermatology] == 60..100\n"
                       "  expect not recommended single_application\n"
                       "  expect recommended dual_application\n"
                       "  expect fired dual_below_band\n"
                       "  expect strategy explained by dual_below_band\n"
                       "  expect strategy == dual\n"
                       "  expect count(backup_specialties) == 1\n"
                       "  expect strategy == dual or step2ck > 260\n"));
  // The round trip: the rewritten file passes.
  std::string diags;
  auto again = w.load(updated, diags, "t2.cases");
  INFO(diags);
  REQUIRE(again);
  for (const CaseResult& r : run(*again)) CHECK(r.passed());
}

TEST_CASE("--update leaves what it cannot write") {
  World w;
  Suite s = w.load_ok(derm_case("  expect step2ck > 245 and strategy == single\n  expect step2ck < 200\n"));
  auto results = run(s);
  REQUIRE(results[0].failures.size() == 2);
  CHECK(!results[0].failures[0].update);
  CHECK(!results[0].failures[1].update);
}

TEST_CASE("coverage: rules fired and tests seen both ways") {
  World w;
  Suite s = w.load_ok(derm_case("") + "case \"no target\"\n  profile { \"step2ck\": 260 }\nend\n");
  Coverage cov(s.rules);
  run(s, &cov);
  CHECK(cov.cases() == 2);
  CHECK(cov.rules().size() == 4);
  CHECK(cov.rules_fired() == 3);  // single_in_band never fired
  CHECK(cov.below(100));
  CHECK(cov.below(75.1));
  CHECK(!cov.below(75));
  CHECK(format_percent(3, 4) == "75.0");
  CHECK(format_percent(2, 3) == "66.6");
  CHECK(format_percent(999, 1000) == "99.9");
  // Tests: target_specialty is present (true, false), specialty_class is ultra
  // x2 (true, unknown), step2ck < 250 (true, false at no target), step2ck >= 250
  // (false, true), target_specialty is dermatology (true, unknown), strategy is
  // present (true, false).
  CHECK(cov.tests().size() == 7);
  std::string text = coverage_text(cov);
  CHECK(text.rfind("coverage: 3 of 4 rules fired (75.0%) in 2 cases\n"
                   "rules no case fired:\n"
                   "  t.rules:19: single_in_band\n",
                   0) == 0);
  CHECK(text.find("t.rules:12: `specialty_class is ultra` in dual_below_band: never false\n") != std::string::npos);
  std::string json = coverage_json(cov, 2, 0);
  CHECK(json.find("\"not_fired\": [\n      \"single_in_band\"\n    ]") != std::string::npos);
}

TEST_CASE("JUnit: escaped, one suite per file, failures with their text") {
  CHECK(xml_escape("a<b & \"c\" 'd'>\x01") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\xEF\xBF\xBD");
  JUnitSuite suite{"t.cases", {}};
  suite.cases.push_back({"passes", "t", "t.cases", 1, 2, false, "", ""});
  suite.cases.push_back({"fails <here>", "t", "t.cases", 9, 3, true, "t.cases:11: expect x", "FAIL ...\n"});
  CHECK(render_junit({suite}) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"advise test\" tests=\"2\" failures=\"1\" errors=\"0\" assertions=\"5\">\n"
        "  <testsuite name=\"t.cases\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" assertions=\"5\" "
        "file=\"t.cases\">\n"
        "    <testcase name=\"passes\" classname=\"t\" file=\"t.cases\" line=\"1\" assertions=\"2\"/>\n"
        "    <testcase name=\"fails &lt;here&gt;\" classname=\"t\" file=\"t.cases\" line=\"9\" assertions=\"3\">\n"
        "      <failure message=\"t.cases:11: expect x\" type=\"expectation\">FAIL ...\n</failure>\n"
        "    </testcase>\n"
        "  </testsuite>\n"
        "</testsuites>\n");
}

TEST_CASE("advise test: files on disk, exit codes, --update and --junit") {
  TempDir dir;
  std::string rules = dir.file("t.rules", kRules);
  std::string cases = dir.file("t.cases", derm_case("  expect strategy == single\n"));
  cli::TestOptions o;
  o.paths = {cases};
  o.rules = {rules};
  o.junit = (dir.path / "report.xml").string();
  std::ostringstream out, err;
  CHECK(cli::cmd_test(o, out, err) == 1);
  CHECK(out.str().find("FAIL " + cases + ":1: case \"derm\"\n") == 0);
  CHECK(out.str().find("advise test: 0 passed, 1 failed (1 case, 1 expectation in 1 file)\n") != std::string::npos);
  std::string xml = read_file((dir.path / "report.xml").string());
  CHECK(xml.find("<testcase name=\"derm\" classname=\"t\"") != std::string::npos);
  CHECK(xml.find("<failure message=\"" + cases + ":3: expect strategy == single (actual: strategy = dual)\"") !=
        std::string::npos);

  o.junit.clear();
  o.update = true;
  std::ostringstream out2, err2;
  CHECK(cli::cmd_test(o, out2, err2) == 0);
  CHECK(out2.str().rfind("UPDATED " + cases + ":3: expect strategy == dual  (was: expect strategy == single)\n", 0) ==
        0);
  CHECK(read_file((dir.path / "t.cases").string()) == derm_case("  expect strategy == dual\n"));

  o.update = false;
  o.coverage = true;
  o.min_coverage = 100;
  std::ostringstream out3, err3;
  CHECK(cli::cmd_test(o, out3, err3) == 1);  // single_in_band never fires
  CHECK(err3.str() == "advise test: 75.0% of the rules fired, below the minimum of 100%\n");
  o.min_coverage = 75;
  std::ostringstream out4, err4;
  CHECK(cli::cmd_test(o, out4, err4) == 0);

  std::ostringstream out5, err5;
  o.paths = {dir.file("bad.cases", "case \"x\"\n")};
  CHECK(cli::cmd_test(o, out5, err5) == 2);
  CHECK(out5.str().empty());
  CHECK(err5.str().find("no case was run") != std::string::npos);
}

TEST_CASE("advise test: FILE:LINE runs the case around that line") {
  TempDir dir;
  std::string rules = dir.file("t.rules", kRules);
  std::string cases = dir.file("t.cases", derm_case("  expect strategy == dual\n") +
                                               derm_case("  expect strategy == single\n"));
  cli::TestOptions o;
  o.rules = {rules};
  o.paths = {cases + ":3"};
  std::ostringstream out, err;
  CHECK(cli::cmd_test(o, out, err) == 0);
  CHECK(out.str() == "advise test: rules " + rules + ", knowledge base " + cli::shown_path(cli::default_kb_dir()) +
                         "\nadvise test: 1 passed, 0 failed (1 case, 1 expectation in 1 file)\n");
  o.paths = {cases + ":7"};
  std::ostringstream out2, err2;
  CHECK(cli::cmd_test(o, out2, err2) == 1);
  o.paths = {cases + ":99"};
  std::ostringstream out3, err3;
  CHECK(cli::cmd_test(o, out3, err3) == 2);
  CHECK(err3.str().find(cases + ":99: error: no case at line 99 [io-error]") != std::string::npos);
}

TEST_CASE("advise diff: only the count when nothing changed; before and after when it did") {
  TempDir dir;
  std::string old_rules = dir.file("old.rules", kRules);
  std::string text = kRules;
  text.replace(text.find("step2ck < 250"), 13, "step2ck < 230");
  text.replace(text.find("step2ck >= 250"), 14, "step2ck >= 230");
  std::string new_rules = dir.file("new.rules", text);
  std::string derm = dir.file("derm.json", kDerm);
  std::string high = dir.file("high.json", R"({ "target_specialty": "dermatology", "step2ck": 262 })");
  cli::DiffOptions o;
  o.old_rules = {old_rules};
  o.new_rules = {old_rules};
  o.profiles = {derm, high};
  std::ostringstream out, err;
  CHECK(cli::cmd_diff(o, out, err) == 0);
  // Which rules and kb were compared, then the count.
  CHECK(out.str() == "old rules: " + old_rules + "; new rules: " + old_rules + "; knowledge base: " +
                         cli::shown_path(o.kb_dir.empty() ? cli::default_kb_dir() : o.kb_dir) + "\n0 of 2 profiles changed\n");
  CHECK(err.str().empty());

  o.new_rules = {new_rules};
  std::ostringstream out2, err2;
  CHECK(cli::cmd_diff(o, out2, err2) == 1);
  std::string s = out2.str();
  CHECK(s.rfind(derm + "\n  strategy: dual -> single\n    before: set by rule `dual_below_band` (" + old_rules +
                    ":10, Step 5.1), because\n",
                0) == 0);
  CHECK(s.find("    after: set by rule `single_in_band` (" + new_rules + ":19, Step 5.1), because\n") !=
        std::string::npos);
  CHECK(s.find("  backup_specialties: [internal_medicine] -> missing\n") != std::string::npos);
  CHECK(s.find("    after: rule `dual_below_band` (" + new_rules +
               ":10, Step 5.1) did not fire:\n      step2ck < 230 is false  [step2ck = 240]\n") != std::string::npos);
  CHECK(s.find("  recommendation single_application: newly made\n") != std::string::npos);
  CHECK(s.find(high) == std::string::npos);  // unchanged: not mentioned
  CHECK(s.substr(s.size() - 25) == "\n1 of 2 profiles changed\n");

  o.format = "json";
  std::ostringstream out3, err3;
  CHECK(cli::cmd_diff(o, out3, err3) == 1);
  CHECK(out3.str().find("\n  \"profiles\": 2,\n  \"changed\": 1,") != std::string::npos);
  CHECK(out3.str().find("\"new\": [\n      \"" + new_rules + "\"\n    ],") != std::string::npos);

  o.profiles = {dir.file("bad.json", R"({ "step2ck": 999 })")};
  std::ostringstream out4, err4;
  CHECK(cli::cmd_diff(o, out4, err4) == 2);
  CHECK(out4.str().empty());
}
