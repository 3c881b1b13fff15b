// The applicant's view (docs/report.md, "Two views"): the targets of issue 15
// on the example profiles, the stage filtering rules declare, and `--for`.
#include <catch2/catch.hpp>

#include <regex>
#include <sstream>

#include "app/commands.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

struct Ran {
  int code;
  std::string out, err;
};

Ran run(const std::string& profile, const std::string& format, const std::string& view = "",
        std::vector<std::string> why_not = {}) {
  cli::RunOptions o;
  o.profile = source("examples/profiles/" + profile);
  o.kb_dir = source("kb");
  o.rules = {source("rules")};
  o.format = format;
  o.view = view;
  o.why_not = std::move(why_not);
  std::ostringstream out, err;
  int code = cli::cmd_run(o, out, err);
  return {code, out.str(), err.str()};
}

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The text outside code spans and without the profile's own `name` line.
std::string outside_code(const std::string& line) {
  std::string out;
  bool code = false;
  for (char c : line) {
    if (c == '`') code = !code;
    else if (!code) out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("applicant view: the Markdown report of example.json meets the targets", "[applicant]") {
  Ran r = run("example.json", "markdown");
  REQUIRE(r.code == 0);
  std::vector<std::string> lines = lines_of(r.out);
  CHECK(lines.size() < 110);
  CHECK(r.out.find("rules/") == std::string::npos);
  CHECK(r.out.find(".rules") == std::string::npos);
  std::regex underscore_word(R"([A-Za-z0-9]+_[A-Za-z0-9_]*)");
  for (const std::string& l : lines) {
    INFO(l);
    CHECK_FALSE(std::regex_search(outside_code(l), underscore_word));
  }
  // The summary comes first and fits one screen: decisions, then what to do now.
  REQUIRE(lines.size() > 4);
  CHECK(lines[0] == "# Your advice for Elena, dermatology after a US research year (the guide's Example 1)");
  auto at = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) - lines.begin(); };
  auto summary = at("## Summary"), details = at("## Details");
  CHECK(summary < details);
  CHECK(details - summary <= 25);
  CHECK(r.out.find("| Strategy | dual application: your target and a backup specialty |") != std::string::npos);
  CHECK(r.out.find("| Programs to apply to | Dermatology: 80–100; Internal Medicine: 40–60 |") != std::string::npos);
  CHECK(r.out.find("**What to do now**\n\n1. ") != std::string::npos);
  // The why in words, with the applicant's values against the bound.
  CHECK(r.out.find("because your Step 2 CK is 252 (at least 250)") != std::string::npos);
  // A graduate applying this season is not told to decide early.
  CHECK(r.out.find("dangerous fantasy") == std::string::npos);
}

TEST_CASE("applicant view: rule authors' errors never appear, and the exit code still says so", "[applicant]") {
  TempDir d;
  cli::RunOptions o;
  o.profile = source("examples/profiles/example.json");
  o.kb_dir = source("kb");
  o.rules = {d.file("conflict.rules", "rule a \"a\" source \"x\" when true then set strategy = single end\n"
                                      "rule b \"b\" source \"x\" when true then set strategy = dual end\n")};
  for (const char* view : {"applicant", "advisor"}) {
    o.view = view;
    o.format = "markdown";
    std::ostringstream out, err;
    CHECK(cli::cmd_run(o, out, err) == 1);
    bool shown = out.str().find("Where rules disagreed") != std::string::npos;
    CHECK(shown == (std::string(view) == "advisor"));
    if (!shown) CHECK(out.str().find("rule authors") == std::string::npos);
  }
}

TEST_CASE("applicant view: the advisor view stays the default of text; --for chooses", "[applicant]") {
  Ran advisor = run("example.json", "text");
  CHECK(advisor.out.find("rules/") != std::string::npos);
  Ran applicant = run("example.json", "text", "applicant");
  CHECK(applicant.code == 0);
  CHECK(applicant.out.find("rules/") == std::string::npos);
  CHECK(applicant.out.find("Summary\n-------\n") != std::string::npos);
  Ran md_advisor = run("example.json", "markdown", "advisor");
  CHECK(md_advisor.out.find("step1_assessment.rules:") != std::string::npos);
  Ran json = run("example.json", "json", "applicant");
  CHECK(json.code == 2);
  CHECK(json.err ==
        "advise: --for applicant: the json report is for programs and advisors and always holds everything; use "
        "--format markdown, html or text for the applicant's view\n");
}

TEST_CASE("applicant view: a graduate is not told to pick clerkships; a student is", "[applicant]") {
  Ran student = run("radiology_ms1.json", "markdown");
  Ran graduate = run("example.json", "markdown");
  Ran advisor = run("radiology_ms1.json", "markdown", "advisor");
  // self_assessment_chart declares `stages ms1, ms2, ms3, ms4` (and, since
  // issue 18, "decide early" is for applicants still preparing).
  CHECK(advisor.out.find("dangerous fantasy") != std::string::npos);
  CHECK(graduate.out.find("dangerous fantasy") == std::string::npos);
  CHECK(student.out.find("dangerous fantasy") != std::string::npos);
}

TEST_CASE("why not: only the answer, every failing test with what it requires, exit 0 once answered", "[why-not]") {
  Ran r = run("example.json", "text", "", {"strategy=single"});
  CHECK(r.code == 0);
  CHECK(r.out.rfind("Why not `strategy` = single?\n", 0) == 0);
  CHECK(r.out.find("Your strategy") == std::string::npos);
  CHECK(r.out.find("    it did not apply: 2 tests failed\n") != std::string::npos);
  CHECK(r.out.find("required: at least 3 (you can change this)") != std::string::npos);
  // Answered even when the rules contradict each other for this profile.
  TempDir d;
  cli::RunOptions o;
  o.profile = source("examples/profiles/example.json");
  o.kb_dir = source("kb");
  o.rules = {d.file("conflict.rules", "rule a \"a\" source \"x\" when true then set strategy = single end\n"
                                      "rule b \"b\" source \"x\" when true then set strategy = dual end\n")};
  o.why_not = {"strategy=dual"};
  std::ostringstream out, err;
  CHECK(cli::cmd_run(o, out, err) == 0);
  CHECK(out.str().rfind("Why not `strategy` = dual?\n", 0) == 0);
}

TEST_CASE("applicant view: \"what would change this\" in the applicant's words, in every format people read",
          "[applicant]") {
  const std::string fixed =
      "To reach \u201capply to your target specialty only\u201d: nothing you can act on; it depends on your Step 2 CK "
      "and your target specialty, which cannot change.";
  Ran md = run("example.json", "markdown");
  CHECK(md.out.find("- **Strategy:** " + fixed + "\n") != std::string::npos);
  Ran html = run("example.json", "html");
  CHECK(html.out.find("<p class=\"what-would-change\">" + fixed + "</p>") != std::string::npos);
  Ran advisor = run("example.json", "markdown", "advisor");
  CHECK(advisor.out.find("- `strategy`: what would change this to single: nothing you can act on; it depends on "
                         "`step2ck` and `target_specialty`, which cannot change\n") != std::string::npos);
  // Step 2 CK not taken yet: the change names the score the rules ask for,
  // and the field left out reads "(not given yet)".
  Ran before = run("low_nbme_before_step2.json", "markdown");
  CHECK(before.out.find("- **Strategy:** To reach \u201capply to your target specialty only\u201d: your Step 2 CK at 260 "
                        "(not given yet), your publications from 0 to 2") != std::string::npos);
  // --why-not prints only its answers; JSON stays as batch writes it.
  CHECK(run("example.json", "markdown", "", {"strategy=single"}).out.find("To reach") == std::string::npos);
  CHECK(run("example.json", "json").out.find("what would change") == std::string::npos);
}

TEST_CASE("applicant view: the text view is wrapped at 80 columns with hanging indents", "[applicant]") {
  for (const char* profile : {"example.json", "low_nbme_before_step2.json", "step1_failure.json"}) {
    Ran r = run(profile, "text", "applicant");
    REQUIRE(r.code == 0);
    for (const std::string& l : lines_of(r.out)) {
      INFO(profile << ": " << l);
      std::size_t cols = 0;
      for (unsigned char c : l) cols += (c & 0xC0) != 0x80;
      CHECK(cols <= 80);
    }
  }
  Ran r = run("low_nbme_before_step2.json", "text", "applicant");
  CHECK(r.out.find("1. Now (MS3): ace your internal medicine, pediatrics and surgery rotations, and\n"
                   "   begin cold-emailing dermatology departments for a research year after MS4.\n") !=
        std::string::npos);
  CHECK(r.out.find("  Your tiers: bridge: Preliminary Medicine, Transitional Year and Internal\n"
                   "    Medicine; dream:") != std::string::npos);
}

TEST_CASE("applicant view: with a catalog, the program list follows the summary as tables and is not counted",
          "[applicant][program_list]") {
  cli::RunOptions o;
  o.profile = source("examples/profiles/example.json");
  o.kb_dir = source("kb");
  o.rules = {source("rules")};
  o.catalogs = {source("examples/catalog/programs.csv")};
  o.format = "markdown";
  std::ostringstream out, err;
  REQUIRE(cli::cmd_run(o, out, err) == 0);
  std::vector<std::string> lines = lines_of(out.str());
  auto at = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) - lines.begin(); };
  auto summary = at("## Summary"), list = at("## Your program list"), details = at("## Details");
  REQUIRE(list < static_cast<std::ptrdiff_t>(lines.size()));
  CHECK(summary < list);
  CHECK(list < details);
  // Nothing but the summary comes before the list.
  for (auto i = summary + 1; i < list; ++i) CHECK(lines[static_cast<std::size_t>(i)].rfind("## ", 0) != 0);
  // The fictitious catalog says so first, then a table per specialty.
  CHECK(lines[static_cast<std::size_t>(list + 2)] ==
        "**FICTITIOUS PROGRAMS: this list is drawn from a catalog of invented programs (an illustration), not real "
        "programs, and it is not advice.**");
  CHECK(out.str().find("| Tier | Signal | Program | Why |") != std::string::npos);
  // Without the list, the report keeps the applicant view's budget.
  CHECK(static_cast<std::size_t>(details - list) < lines.size());
  CHECK(lines.size() - static_cast<std::size_t>(details - list) < 110);
}
