// The regression-case library (cases/) and the diff's renderers
// (engine/render_diff.hpp) called directly, without the command line: a case
// file parsed from a string, a suite compiled with a SuiteEnv of the test's
// own (files in memory), a case run, and the exact text each renderer gives.
#include <catch2/catch.hpp>

#include <map>

#include "cases/cases.hpp"
#include "dsl/checker.hpp"
#include "dsl/parser.hpp"
#include "engine/render_diff.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;
using namespace advise::cases;

namespace {

const char* kRules = R"(rule dual_below_band "Dual-apply below the band"
  source "Step 5.1"
when step2ck < 250
then
  set strategy = dual
end
)";

// A rule set whose source manager the case files join.
struct Lib {
  std::shared_ptr<SourceManager> sm = std::make_shared<SourceManager>();
  std::shared_ptr<const RuleSet> rules;
  Lib() {
    Diagnostics d;
    LoadedRules files;
    files.files.push_back(parse_source(*sm, sm->add("r.rules", kRules), d));
    auto rs = check_rules(files, bundled_kb(), sm, d);
    REQUIRE(rs);
    REQUIRE(!d.has_errors());
    rules = std::make_shared<const RuleSet>(std::move(*rs));
  }
};

// Files in memory, read through SuiteEnv: nothing touches the disk.
SuiteEnv memory_env(const std::map<std::string, std::string>& files) {
  SuiteEnv env;
  env.read = [files](const std::string& path, std::size_t limit, std::string_view) {
    FileRead r;
    auto it = files.find(path);
    if (it == files.end()) {
      r.status = FileRead::Status::NotFound;
      r.error = "no such file";
      r.hint = "; did you mean `derm.json`?";
    } else if (it->second.size() > limit) {
      r.status = FileRead::Status::TooLarge;
      r.error = "the file is too large";
    } else {
      r.text = it->second;
    }
    return r;
  };
  env.data_dir = "cases";
  return env;
}

}  // namespace

TEST_CASE("cases library: a case file parsed from a string", "[cases]") {
  SourceManager sm;
  std::uint32_t id = sm.add("t.cases",
                            "case \"derm\"\n"
                            "  profile \"derm.json\"\n"
                            "  expect strategy == dual\n"
                            "  expect not fired single_in_band\n"
                            "end\n");
  Diagnostics d;
  CaseFile f = parse_case_file(sm, id, d);
  CHECK(d.all().empty());
  REQUIRE(f.cases.size() == 1);
  const Case& c = f.cases[0];
  CHECK(c.name == "derm");
  REQUIRE(c.profile);
  CHECK_FALSE(c.profile->is_inline);
  CHECK(c.profile->path == "derm.json");
  REQUIRE(c.expectations.size() == 2);
  CHECK(c.expectations[0].kind == ExpectKind::Condition);
  CHECK(sm.text(id).substr(c.expectations[0].body.begin, c.expectations[0].body.end - c.expectations[0].body.begin) ==
        "strategy == dual");
  CHECK(c.expectations[1].kind == ExpectKind::Fired);
  CHECK(c.expectations[1].negated);
  CHECK(c.expectations[1].id.name == "single_in_band");
}

TEST_CASE("cases library: compiled with the caller's file access, run, and reported", "[cases]") {
  Lib lib;
  std::uint32_t id = lib.sm->add("cases/t.cases",
                                 "case \"derm\"\n"
                                 "  profile \"derm.json\"\n"
                                 "  expect strategy == single\n"
                                 "end\n");
  Diagnostics d;
  auto suite = load_suite_from_buffers({id}, lib.rules, *lib.sm, d,
                                       memory_env({{"cases/derm.json", R"({"step2ck": 240})"}}));
  INFO(render_text(*lib.sm, d));
  REQUIRE(suite);
  REQUIRE(suite->cases.size() == 1);
  CHECK(suite->expectation_count() == 1);

  Engine engine(lib.rules);
  Result result;
  CaseResult r = run_case(suite->cases[0], engine, result);
  CHECK_FALSE(r.passed());
  REQUIRE(r.failures.size() == 1);
  CHECK(failure_text(r, false) ==
        "FAIL cases/t.cases:1: case \"derm\"\n"
        "  cases/t.cases:3: expect strategy == single\n"
        "    actual: strategy = dual\n"
        "      strategy = dual was set by rule `dual_below_band` (r.rules:1, Step 5.1), because\n"
        "        step2ck < 250  [step2ck = 240]\n");
  CHECK(first_failure(r) == "cases/t.cases:3: expect strategy == single (actual: strategy = dual)");
  REQUIRE(r.failures[0].update);
  CHECK(updated_text(r.failures[0]) ==
        "UPDATED cases/t.cases:3: expect strategy == dual  (was: expect strategy == single)");
  CHECK(apply_edits(lib.sm->text(id), {*r.failures[0].update}) ==
        "case \"derm\"\n  profile \"derm.json\"\n  expect strategy == dual\nend\n");
}

TEST_CASE("cases library: a missing profile is located at its path, with the reader's hint", "[cases]") {
  Lib lib;
  std::uint32_t id = lib.sm->add("cases/t.cases", "case \"derm\"\n  profile \"drm.json\"\nend\n");
  Diagnostics d;
  CHECK_FALSE(load_suite_from_buffers({id}, lib.rules, *lib.sm, d, memory_env({})));
  REQUIRE(d.all().size() == 1);
  CHECK(render_text(*lib.sm, d).substr(0, render_text(*lib.sm, d).find('\n')) ==
        "cases/t.cases:2:11: error: cannot read the profile `drm.json`: no such file (looked for cases/drm.json; the "
        "path is relative to the case file); did you mean `derm.json`? [include-not-found]");
}

TEST_CASE("cases library: without file access only inline profiles are read", "[cases]") {
  Lib lib;
  std::uint32_t id = lib.sm->add("t.cases",
                                 "case \"inline\"\n  profile { \"step2ck\": 240 }\n  expect strategy == dual\nend\n"
                                 "case \"by path\"\n  profile \"derm.json\"\nend\n");
  Diagnostics d;
  CHECK_FALSE(load_suite_from_buffers({id}, lib.rules, *lib.sm, d));
  REQUIRE(d.all().size() == 1);
  CHECK(d.all()[0].message ==
        "cannot read the profile `derm.json`: this suite reads no files (give the profile inline)");
}

TEST_CASE("diff renderers: the text and JSON of a changed profile, from the library", "[diff]") {
  auto old_rs = compile_rules("rule a \"\" source \"t\" when step2ck < 250 then set strategy = dual end\n", "old.rules");
  auto new_rs = compile_rules("rule a \"\" source \"t\" when step2ck < 230 then set strategy = dual end\n", "new.rules");
  Profile p = load_test_profile(R"({"step2ck": 240})");
  DiffReport report;
  report.old_rules = {"old.rules"};
  report.new_rules = {"new.rules"};
  report.kb = "kb";
  report.profiles = 1;
  report.constants = constant_changes(*old_rs, *new_rs);
  auto change = std::make_unique<DiffReport::Change>();
  change->path = "p.json";
  change->before = Engine(old_rs).evaluate(p);
  change->after = Engine(new_rs).evaluate(p);
  change->diff = diff_results(change->before, change->after);
  REQUIRE(change->diff.changed());
  report.changes.push_back(std::move(change));
  CHECK(render_diff_text(report) ==
        "p.json\n"
        "  strategy: dual -> missing\n"
        "    before: set by rule `a` (old.rules:1, t), because\n"
        "      step2ck < 250  [step2ck = 240]\n"
        "    after: rule `a` (new.rules:1, t) did not fire:\n"
        "      step2ck < 230 is false  [step2ck = 240]\n"
        "\n"
        "old rules: old.rules; new rules: new.rules; knowledge base: kb\n"
        "1 of 1 profile changed\n");
  std::string json = render_diff_json(report);
  CHECK(json.rfind("{\n  \"rules\": {\n    \"old\": [\n      \"old.rules\"\n    ],", 0) == 0);
  CHECK(json.find("\"changed\": 1,\n  \"unfinished\": 0,") != std::string::npos);
  CHECK(json.find("\"failed_tests\": [\n") != std::string::npos);
  CHECK(json.back() == '\n');
}

TEST_CASE("cases library: a profile error's diagnostic kind is the kind the reader gave it", "[cases]") {
  Lib lib;
  std::uint32_t id = lib.sm->add("t.cases",
                                 "case \"a\"\n  profile { \"step2ck\": 999 }\nend\n"
                                 "case \"b\"\n  profile { \"stepp2ck\": 240 }\nend\n"
                                 "case \"c\"\n  profile { \"stage\": \"ms9\" }\nend\n"
                                 "case \"d\"\n  profile { \"step2ck\": \"high\" }\nend\n");
  Diagnostics d;
  CHECK_FALSE(load_suite_from_buffers({id}, lib.rules, *lib.sm, d));
  std::vector<std::string> kinds;
  for (const Diagnostic& x : d.all()) kinds.emplace_back(kind_info(x.kind).name);
  CHECK(kinds == std::vector<std::string>{"out-of-range", "unknown-name", "unknown-value", "type-mismatch"});
}
