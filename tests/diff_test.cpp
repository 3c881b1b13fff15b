// Provenance in the library (engine/working_memory.hpp) and the diff of two
// results (engine/diff.hpp), which `advise diff` renders.
#include <catch2/catch.hpp>

#include "engine/diff.hpp"
#include "engine/engine.hpp"
#include "engine/working_memory.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

const char* kOld = R"(
rule flag_low "" source "t" when step2ck < 230 then add remediation to red_flags end
rule flag_gap "" source "t" when step2ck < 250 then add unexplained_gap to red_flags end
rule derm "" source "t" when step2ck > 200 then set applications[dermatology] = 80..100 end
rule research "" source "t" when step2ck < 250 then set research_year = optional end
)";
const char* kNew = R"(
rule flag_gap "" source "t" when step2ck < 250 then add unexplained_gap to red_flags end
rule flag_more "" source "t" when step2ck < 250 then add professionalism to red_flags end
rule derm "" source "t" when step2ck > 200 then set applications[dermatology] = 70..90 end
rule im "" source "t" when step2ck > 200 then set applications[internal_medicine] = 40..60 end
)";

std::string rule_of(const Result& r, std::int32_t firing) {
  return firing < 0 ? "-" : std::string(r.rules->rules[static_cast<std::size_t>(r.firings[static_cast<std::size_t>(firing)].rule)].name());
}

}  // namespace

TEST_CASE("working memory: the firing that introduced a value, a map entry, a list item", "[provenance]") {
  auto rs = compile_rules(kOld);
  Result r = Engine(rs).evaluate(load_test_profile(R"({"step2ck": 220})"));
  WorkingMemory wm(r);
  std::int32_t flags = rs->conclusion_slot("red_flags");
  std::int32_t apps = rs->conclusion_slot("applications");
  std::int32_t step2 = 0;
  while (rs->slot_name(step2) != "step2ck") ++step2;

  CHECK(rule_of(r, wm.introduced_by(rs->conclusion_slot("research_year"))) == "research");
  CHECK(rule_of(r, wm.introduced_by(flags)) == "flag_gap");  // the last version of the list
  CHECK(rule_of(r, wm.item_introduced_by(flags, r.value(flags).list_items()[0])) == "flag_low");
  CHECK(rule_of(r, wm.item_introduced_by(flags, r.value(flags).list_items()[1])) == "flag_gap");
  CHECK(wm.item_introduced_by(flags, Value::number(3)) == -1);  // not in the list
  const Value& derm = r.value(apps).list_items()[0];
  CHECK(rule_of(r, wm.key_introduced_by(apps, derm)) == "derm");
  CHECK(wm.firing_of(wm.current_version(step2)) == -1);  // given, not derived
  CHECK(wm.current_version(rs->conclusion_slot("strategy")) == -1);

  // The state at firing k: before `flag_gap` fired, the list held one item.
  std::int32_t k = wm.introduced_by(flags);
  std::int32_t before = wm.version_at(flags, k);
  REQUIRE(before >= 0);
  CHECK(r.facts[static_cast<std::size_t>(before)].value.list_items().size() == 1);
  CHECK(wm.at(k).get(flags).list_items().size() == 1);
  CHECK(wm.earlier_versions(wm.current_version(flags)) == std::vector<std::int32_t>{before});
}

TEST_CASE("diff of two results: conclusions, map entries, list items, with the rule on each side", "[diff]") {
  auto old_rs = compile_rules(kOld, "old.rules");
  auto new_rs = compile_rules(kNew, "new.rules");
  Profile p = load_test_profile(R"({"step2ck": 220})");
  Result a = Engine(old_rs).evaluate(p);
  Result b = Engine(new_rs).evaluate(p);
  ResultDiff d = diff_results(a, b);
  REQUIRE(d.changed());
  CHECK_FALSE(d.unfinished());
  std::vector<std::string> seen;
  for (const ConclusionDiff& c : d.conclusions) {
    std::string s = old_rs->slot_name(c.slot);
    if (c.key) s += "[" + old_rs->kb->display(*c.key) + "]";
    s += ":";
    for (const DiffSide& x : c.old_side) s += " old " + rule_of(a, x.firing) + (x.item ? "+" + a.rules->kb->display(*x.item) : "") +
                                            (x.counterpart.empty() ? "" : " (cf. " + x.counterpart + ")");
    for (const DiffSide& x : c.new_side) s += " new " + rule_of(b, x.firing) + (x.item ? "+" + b.rules->kb->display(*x.item) : "") +
                                            (x.counterpart.empty() ? "" : " (cf. " + x.counterpart + ")");
    seen.push_back(s);
  }
  CHECK(seen == std::vector<std::string>{
                    "applications[dermatology]: old derm new derm",
                    "applications[internal_medicine]: old - (cf. im) new im",
                    "research_year: old research new - (cf. research)",
                    "red_flags: old flag_low+remediation new flag_more+professionalism",
                });
  CHECK(d.recommendations.empty());
  CHECK(d.messages.empty());

  ResultDiff same = diff_results(a, Engine(old_rs).evaluate(p));
  CHECK_FALSE(same.changed());
}

TEST_CASE("diff of two rule sets' constants: changed, added, removed, by name", "[diff]") {
  auto a = compile_rules("const bar = 240\nconst gone = 1\nrule r \"\" source \"t\" when step2ck > bar and step2ck > gone then note \"x\" end\n");
  auto b = compile_rules("const bar = 245\nconst fresh = 7\nrule r \"\" source \"t\" when step2ck > bar and step1_attempts < fresh then note \"x\" end\n");
  std::vector<std::string> seen;
  for (const ConstantDiff& c : constant_changes(*a, *b))
    if (c.name == "bar" || c.name == "gone" || c.name == "fresh")
      seen.push_back(c.name + ": " + c.before.value_or("-") + " -> " + c.after.value_or("-"));
  CHECK(seen == std::vector<std::string>{"bar: 240 -> 245", "fresh: - -> 7", "gone: 1 -> -"});
  CHECK(constant_changes(*a, *a).empty());
}
