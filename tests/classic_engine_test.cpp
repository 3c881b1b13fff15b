// What the classic benchmarks (bench/classic/, issue 13) need of the rule
// language and the engine, each reduced to its smallest case.
#include <catch2/catch.hpp>

#include "dsl/checker.hpp"
#include "dsl/parser.hpp"
#include "engine/render.hpp"
#include "engine/engine.hpp"
#include "kb/facts.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

// Evaluates `rules` over the CLIPS facts `fct` with an empty applicant and
// returns the values of every record of template `tmpl` left at the end,
// displayed and joined with spaces, one string per record.
std::vector<std::string> final_records(const std::string& rules, const std::string& fct, const std::string& tmpl) {
  auto rs = compile_rules(rules);
  std::vector<FactRecord> facts;
  std::vector<DataError> errors;
  TemplateSet templates{rs->templates};
  REQUIRE(read_facts_clips(fct, "test.fct", *rs->kb, templates, facts, errors));
  Profile profile;
  profile.kb = bundled_kb().get();
  profile.values.assign(bundled_kb()->fields.size(), Value{});
  Engine engine(rs);
  EngineOptions eo;
  eo.facts = &facts;
  Result r = engine.evaluate(profile, eo);
  int t = templates.find(tmpl);
  std::vector<std::string> out;
  for (const Record& rec : r.records) {
    if (rec.tmpl != t || rec.ended_by >= 0) continue;
    std::string line;
    for (const Value& v : rec.values) line += (line.empty() ? "" : " ") + rs->kb->display(v);
    out.push_back(line);
  }
  return out;
}

// The first error `advise check` prints for `text`, as it prints it.
std::string check_text(const std::string& text) {
  auto sm = std::make_shared<SourceManager>();
  std::uint32_t id = sm->add("f.rules", text);
  Diagnostics diags;
  LoadedRules files;
  files.files.push_back(parse_source(*sm, id, diags));
  check_rules(files, bundled_kb(), sm, diags);
  std::string out = render_text(*sm, diags);  // the first error's line
  std::size_t at = out.find(": error: ");
  if (at == std::string::npos) return "";
  std::size_t begin = out.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return out.substr(begin, out.find('\n', at) - begin);
}

}  // namespace

// Waltz classifies a junction by the angles between its edges, with points
// encoded as x * 100 + y: it needs integer division, the arctangent, the
// absolute value, and a value chosen by a condition.
TEST_CASE("classic: number functions floor, abs, atan2 and choose in a fact action") {
  auto out = final_records(R"(
template point "p"
  at: integer
end
template result "r"
  x: integer
  y: integer
  dir: number
  dist: number
  kind: {left, right}
end
rule r "r"
  source "s"
when for each point p
then
  create result with x = floor(p.at / 100), y = p.at - 100 * floor(p.at / 100),
    dir = atan2(1, 1) * 4, dist = abs(3 - p.at),
    kind = choose(floor(p.at / 100) < 5, left, right)
end
)",
                           "(point (at 307))\n(point (at 1204))\n", "result");
  REQUIRE(out.size() == 2);
  CHECK(out[0] == "3 7 3.142 304 left");
  CHECK(out[1] == "12 4 3.142 1201 right");
}

TEST_CASE("classic: number functions refuse a wrong number of arguments and values of two kinds") {
  CHECK(check_text("if floor(step2ck, 2) > 1 then note \"x\"\n") ==
        "f.rules:1:4: error: `floor` takes one argument, but is given 2 [wrong-arity]");
  CHECK(check_text("if atan2(step2ck) > 1 then note \"x\"\n") ==
        "f.rules:1:4: error: `atan2` takes two arguments, but is given 1 [wrong-arity]");
  CHECK(check_text("if choose(step2ck > 1, 1, \"a\") > 1 then note \"x\"\n") ==
        "f.rules:1:27: error: `\"a\"` is a text, but the other value of `choose` is a number [type-mismatch]");
  CHECK(check_text("if abs(stage) > 1 then note \"x\"\n") ==
        "f.rules:1:8: error: `stage` is a stage value, but `abs` needs a number [type-mismatch]");
}
