// The agenda of engine/agenda.hpp: activations (a rule and the facts it
// matched, with their versions) ordered by each strategy, and refraction per
// activation, not per rule.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "engine/agenda.hpp"
#include "engine/engine.hpp"
#include "engine/explain.hpp"
#include "engine/working_memory.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;

namespace {

// A fact of a template (template 0), record `record` at `version`.
FactRef fact(std::int32_t record, std::int64_t version) { return {FactId::of_record(0, record), version}; }

Activation act(std::int32_t rule, std::vector<FactRef> facts, std::int32_t priority = 0, std::int32_t specificity = 0) {
  Activation a;
  a.rule = rule;
  a.priority = priority;
  a.specificity = specificity;
  a.facts = std::move(facts);
  return a;
}

// Pops the whole agenda: the rules, in firing order.
std::vector<std::int32_t> drain(Agenda& g) {
  std::vector<std::int32_t> out;
  while (!g.empty()) out.push_back(g.pop().rule);
  return out;
}

}  // namespace

TEST_CASE("agenda: advise orders by priority, specificity, source order, then the older activation", "[agenda]") {
  Agenda g(RuleStrategy::Advise);
  g.add(act(3, {fact(0, 1)}, 0, 1));
  g.add(act(2, {fact(0, 1)}, 0, 2));
  g.add(act(5, {fact(0, 1)}, 5, 0));
  g.add(act(1, {fact(1, 2)}, 0, 1));
  g.add(act(1, {fact(0, 1)}, 0, 1));  // the same rule over another fact: after its older activation
  std::vector<std::int32_t> order;
  std::vector<std::int32_t> records;
  while (!g.empty()) {
    Activation a = g.pop();
    order.push_back(a.rule);
    records.push_back(a.facts.front().id.record);
  }
  CHECK(order == std::vector<std::int32_t>{5, 2, 1, 1, 3});
  CHECK(records == std::vector<std::int32_t>{0, 0, 1, 0, 0});
}

TEST_CASE("agenda: depth fires the newest activation first, breadth the oldest, within a priority", "[agenda]") {
  for (RuleStrategy s : {RuleStrategy::Depth, RuleStrategy::Breadth}) {
    Agenda g(s);
    g.add(act(0, {fact(0, 1)}));
    g.add(act(1, {fact(1, 2)}, 0, 9));  // specificity does not count
    g.add(act(2, {fact(2, 3)}));
    g.add(act(3, {fact(3, 4)}, -1));
    std::vector<std::int32_t> want =
        s == RuleStrategy::Depth ? std::vector<std::int32_t>{2, 1, 0, 3} : std::vector<std::int32_t>{0, 1, 2, 3};
    CHECK(drain(g) == want);
  }
}

TEST_CASE("agenda: lex compares the facts' versions newest first; mea the first fact's first", "[agenda]") {
  // Rule 0 matched versions {9, 1}, rule 1 {5, 8}, rule 2 {8, 5, 1}:
  // sorted newest first: {9, 1}, {8, 5}, {8, 5, 1}.
  auto fill = [](Agenda& g) {
    g.add(act(0, {fact(0, 9), fact(1, 1)}));
    g.add(act(1, {fact(2, 5), fact(3, 8)}));
    g.add(act(2, {fact(3, 8), fact(2, 5), fact(1, 1)}));
  };
  Agenda lex(RuleStrategy::Lex);
  fill(lex);
  // Lex: 9 first; then {8, 5, 1} before {8, 5} (more facts on a common prefix).
  CHECK(drain(lex) == std::vector<std::int32_t>{0, 2, 1});
  Agenda mea(RuleStrategy::Mea);
  fill(mea);
  // Mea: the first fact's version first: 9, 8, 5.
  CHECK(drain(mea) == std::vector<std::int32_t>{0, 2, 1});
  Agenda mea2(RuleStrategy::Mea);
  mea2.add(act(0, {fact(0, 3), fact(1, 9)}));
  mea2.add(act(1, {fact(2, 4), fact(3, 1)}));
  CHECK(drain(mea2) == std::vector<std::int32_t>{1, 0});  // lex would put rule 0 first (9)
  Agenda lex2(RuleStrategy::Lex);
  lex2.add(act(0, {fact(0, 3), fact(1, 9)}));
  lex2.add(act(1, {fact(2, 4), fact(3, 1)}));
  CHECK(drain(lex2) == std::vector<std::int32_t>{0, 1});
}

TEST_CASE("agenda: refraction is per activation, not per rule", "[agenda]") {
  Agenda g;
  REQUIRE(g.add(act(7, {fact(0, 1), fact(1, 1)})) >= 0);
  Activation fired = g.pop();
  CHECK(fired.rule == 7);
  CHECK(g.refracted(fired));
  // The same rule over the same facts at the same versions: refracted.
  CHECK(g.add(act(7, {fact(0, 1), fact(1, 1)})) == -1);
  CHECK(g.empty());
  // The same rule over another combination of facts fires again.
  CHECK(g.add(act(7, {fact(0, 1), fact(2, 1)})) >= 0);
  // ... and over the same facts when one of them changed (a newer version).
  CHECK(g.add(act(7, {fact(0, 1), fact(1, 2)})) >= 0);
  // Another rule over the very facts rule 7 fired on is not refracted.
  CHECK(g.add(act(8, {fact(0, 1), fact(1, 1)})) >= 0);
  CHECK(drain(g) == std::vector<std::int32_t>{7, 7, 8});
  // Once the changed version fired too, both firings are remembered.
  CHECK(g.add(act(7, {fact(0, 1), fact(1, 2)})) == -1);
  CHECK(g.add(act(7, {fact(0, 1), fact(2, 1)})) == -1);
}

TEST_CASE("agenda: a removed activation does not fire and is not refracted", "[agenda]") {
  Agenda g;
  std::int32_t h = g.add(act(1, {fact(0, 1)}));
  g.add(act(2, {fact(1, 1)}));
  REQUIRE(h >= 0);
  CHECK(g.size() == 2);
  CHECK(g.get(g.top()).rule == 1);
  g.remove(h);
  CHECK(g.size() == 1);
  CHECK(g.get(g.top()).rule == 2);
  CHECK(g.add(act(1, {fact(0, 1)})) >= 0);  // it never fired
  CHECK(drain(g) == std::vector<std::int32_t>{1, 2});
  CHECK(g.pop().rule == -1);  // empty
  CHECK(g.top() == -1);
}

TEST_CASE("agenda: a single-record rule set's strategy orders its rules' activations", "[agenda]") {
  // `first` and `other` hold from the start; `second` holds once `first` has
  // fired. advise: source order; depth: the newest activation first.
  const char* rules = R"(
rule first "" source "t" when step2ck > 100 then add remediation to red_flags end
rule other "" source "t" when step2ck > 100 then add professionalism to red_flags end
rule second "" source "t" when red_flags contains remediation then set strategy = dual end
)";
  auto names = [](const Result& r) {
    std::vector<std::string> out;
    for (const Firing& f : r.firings) out.push_back(r.rules->rules[static_cast<std::size_t>(f.rule)].name);
    return out;
  };
  auto profile = testing::load_test_profile(R"({"step2ck": 240})");
  Engine advise_order(testing::compile_rules(rules));
  CHECK(names(advise_order.evaluate(profile)) == std::vector<std::string>{"first", "other", "second"});
  Engine depth(testing::compile_rules(std::string("strategy depth\n") + rules));
  CHECK(names(depth.evaluate(profile)) == std::vector<std::string>{"other", "first", "second"});
  Engine breadth(testing::compile_rules(std::string("strategy breadth\n") + rules));
  CHECK(names(breadth.evaluate(profile)) == std::vector<std::string>{"first", "other", "second"});
}

TEST_CASE("agenda: profile fields and conclusions are records of the built-in template, by slot", "[agenda]") {
  auto rs = testing::compile_rules(R"(
rule flag "" source "t" when step2ck < 250 then add remediation to red_flags end
)");
  Engine e(rs);
  Result r = e.evaluate(testing::load_test_profile(R"({"step2ck": 240})"));
  REQUIRE(r.firings.size() == 1);
  std::vector<TestRecord> tests = firing_tests(r, r.firings[0]);
  REQUIRE(tests.size() == 1);
  REQUIRE(tests[0].facts.size() == 1);
  const FactValue& f = tests[0].facts[0];
  CHECK(f.fact == FactId::slot(rs->field_slot("step2ck")));
  CHECK(f.fact.is_slot());
  CHECK(f.field == -1);
  CHECK_FALSE(f.of_template());
  std::int32_t red_flags = rs->conclusion_slot("red_flags");
  Derivation d = explain_fact(r, red_flags, 3);
  CHECK(d.fact == FactId::slot(red_flags));
  CHECK(d.conclusion);
  CHECK(d.slot() == red_flags);
}

TEST_CASE("agenda: a single-record firing matched the slots it read, at the versions it read", "[agenda]") {
  auto rs = testing::compile_rules(R"(
rule flag "" source "t" when step2ck < 250 then add remediation to red_flags end
rule more "" source "t" when red_flags contains remediation then add professionalism to red_flags end
)");
  Engine e(rs);
  Result r = e.evaluate(testing::load_test_profile(R"({"step2ck": 240})"));
  WorkingMemory wm(r);
  std::int32_t red_flags = rs->conclusion_slot("red_flags");
  REQUIRE(r.firings.size() == 3);  // flag, more, and more again on the list it changed
  CHECK(wm.matched(0) == std::vector<FactRef>{{FactId::slot(rs->field_slot("step2ck")), 0}});
  CHECK(wm.matched(1) == std::vector<FactRef>{{FactId::slot(red_flags), 1}});
  CHECK(wm.matched(2) == std::vector<FactRef>{{FactId::slot(red_flags), 2}});
  CHECK(wm.made_by(FactId::slot(red_flags)) == 1);
}
