// The agenda of engine/agenda.hpp: activations (a rule and the facts it
// matched, with their versions) ordered by each strategy, and refraction per
// activation, not per rule.
#include <catch2/catch.hpp>

#include <array>
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

// Rules 0..n-1, priority and specificity 0 but where given: {rule, priority, specificity}.
RuleOrder order_of(std::size_t n, std::vector<std::array<std::int32_t, 3>> given = {}) {
  std::vector<std::int32_t> priority(n, 0), specificity(n, 0);
  for (const auto& g : given) {
    priority[static_cast<std::size_t>(g[0])] = g[1];
    specificity[static_cast<std::size_t>(g[0])] = g[2];
  }
  return RuleOrder(std::move(priority), std::move(specificity));
}

std::int32_t add(Agenda& g, std::int32_t rule, std::vector<FactRef> facts) { return g.add(rule, facts); }

// Pops the whole agenda: the rules, in firing order.
std::vector<std::int32_t> drain(Agenda& g) {
  std::vector<std::int32_t> out;
  while (!g.empty()) out.push_back(g.pop().rule);
  return out;
}

}  // namespace

TEST_CASE("agenda: advise orders by priority, specificity, source order, then the older activation", "[agenda]") {
  RuleOrder order = order_of(6, {{3, 0, 1}, {2, 0, 2}, {5, 5, 0}, {1, 0, 1}});
  Agenda g(RuleStrategy::Advise, order);
  add(g, 3, {fact(0, 1)});
  add(g, 2, {fact(0, 1)});
  add(g, 5, {fact(0, 1)});
  add(g, 1, {fact(1, 2)});
  add(g, 1, {fact(0, 1)});  // the same rule over another fact: after its older activation
  std::vector<std::int32_t> order_fired;
  std::vector<std::int32_t> records;
  while (!g.empty()) {
    Activation a = g.pop();
    order_fired.push_back(a.rule);
    records.push_back(a.facts.front().id.record);
  }
  CHECK(order_fired == std::vector<std::int32_t>{5, 2, 1, 1, 3});
  CHECK(records == std::vector<std::int32_t>{0, 0, 1, 0, 0});
}

TEST_CASE("agenda: depth fires the newest activation first, breadth the oldest, within a priority", "[agenda]") {
  RuleOrder order = order_of(4, {{1, 0, 9}, {3, -1, 0}});  // specificity does not count
  for (RuleStrategy s : {RuleStrategy::Depth, RuleStrategy::Breadth}) {
    Agenda g(s, order);
    add(g, 0, {fact(0, 1)});
    add(g, 1, {fact(1, 2)});
    add(g, 2, {fact(2, 3)});
    add(g, 3, {fact(3, 4)});
    std::vector<std::int32_t> want =
        s == RuleStrategy::Depth ? std::vector<std::int32_t>{2, 1, 0, 3} : std::vector<std::int32_t>{0, 1, 2, 3};
    CHECK(drain(g) == want);
  }
}

TEST_CASE("agenda: lex compares the facts' versions newest first; mea the first fact's first", "[agenda]") {
  // Rule 0 matched versions {9, 1}, rule 1 {5, 8}, rule 2 {8, 5, 1}:
  // sorted newest first: {9, 1}, {8, 5}, {8, 5, 1}.
  RuleOrder order = order_of(3);
  auto fill = [](Agenda& g) {
    add(g, 0, {fact(0, 9), fact(1, 1)});
    add(g, 1, {fact(2, 5), fact(3, 8)});
    add(g, 2, {fact(3, 8), fact(2, 5), fact(1, 1)});
  };
  Agenda lex(RuleStrategy::Lex, order);
  fill(lex);
  // Lex: 9 first; then {8, 5, 1} before {8, 5} (more facts on a common prefix).
  CHECK(drain(lex) == std::vector<std::int32_t>{0, 2, 1});
  Agenda mea(RuleStrategy::Mea, order);
  fill(mea);
  // Mea: the first fact's version first: 9, 8, 5.
  CHECK(drain(mea) == std::vector<std::int32_t>{0, 2, 1});
  Agenda mea2(RuleStrategy::Mea, order);
  add(mea2, 0, {fact(0, 3), fact(1, 9)});
  add(mea2, 1, {fact(2, 4), fact(3, 1)});
  CHECK(drain(mea2) == std::vector<std::int32_t>{1, 0});  // lex would put rule 0 first (9)
  Agenda lex2(RuleStrategy::Lex, order);
  add(lex2, 0, {fact(0, 3), fact(1, 9)});
  add(lex2, 1, {fact(2, 4), fact(3, 1)});
  CHECK(drain(lex2) == std::vector<std::int32_t>{0, 1});
}

TEST_CASE("agenda: refraction is per activation, not per rule", "[agenda]") {
  RuleOrder order = order_of(9);
  Agenda g(RuleStrategy::Advise, order);
  REQUIRE(add(g, 7, {fact(0, 1), fact(1, 1)}) >= 0);
  Activation fired = g.pop();
  CHECK(fired.rule == 7);
  CHECK(g.refracted(7, std::vector<FactRef>{fact(0, 1), fact(1, 1)}));
  CHECK(g.fired(7));
  // The same rule over the same facts at the same versions: refracted.
  CHECK(add(g, 7, {fact(0, 1), fact(1, 1)}) == -1);
  CHECK(g.empty());
  // The same rule over another combination of facts fires again.
  CHECK(add(g, 7, {fact(0, 1), fact(2, 1)}) >= 0);
  // ... and over the same facts when one of them changed (a newer version).
  CHECK(add(g, 7, {fact(0, 1), fact(1, 2)}) >= 0);
  // Another rule over the very facts rule 7 fired on is not refracted.
  CHECK(add(g, 8, {fact(0, 1), fact(1, 1)}) >= 0);
  CHECK(drain(g) == std::vector<std::int32_t>{7, 7, 8});
  // Once the changed version fired too, both firings are remembered.
  CHECK(add(g, 7, {fact(0, 1), fact(1, 2)}) == -1);
  CHECK(add(g, 7, {fact(0, 1), fact(2, 1)}) == -1);
  // A new evaluation forgets them.
  g.reset();
  CHECK_FALSE(g.fired(7));
  CHECK(add(g, 7, {fact(0, 1), fact(1, 2)}) >= 0);
  CHECK(drain(g) == std::vector<std::int32_t>{7});
}

TEST_CASE("agenda: an activation over newer versions of the same facts replaces the live one", "[agenda]") {
  RuleOrder order = order_of(2);
  Agenda g(RuleStrategy::Depth, order);
  std::int32_t h = add(g, 0, {fact(0, 1)});
  CHECK(add(g, 0, {fact(0, 1)}) == h);  // the same versions: the same activation
  add(g, 1, {fact(1, 1)});
  CHECK(add(g, 0, {fact(0, 2)}) >= 0);  // replaced, and newer than rule 1's
  CHECK(g.size() == 2);
  Activation a = g.pop();
  CHECK(a.rule == 0);
  CHECK(a.facts.front().version == 2);
  CHECK(drain(g) == std::vector<std::int32_t>{1});
}

TEST_CASE("agenda: a removed activation does not fire and is not refracted", "[agenda]") {
  RuleOrder order = order_of(3);
  Agenda g(RuleStrategy::Advise, order);
  std::int32_t h = add(g, 1, {fact(0, 1)});
  add(g, 2, {fact(1, 1)});
  REQUIRE(h >= 0);
  CHECK(g.size() == 2);
  CHECK(g.get(g.top()).rule == 1);
  g.remove(h);
  CHECK(g.size() == 1);
  CHECK(g.get(g.top()).rule == 2);
  CHECK(add(g, 1, {fact(0, 1)}) >= 0);  // it never fired
  CHECK(drain(g) == std::vector<std::int32_t>{1, 2});
  CHECK(g.pop().rule == -1);  // empty
  CHECK(g.top() == -1);
}

TEST_CASE("agenda: activations over records and over tokens share one order", "[agenda]") {
  // Rule 0 over records, rules 1 and 2 over tokens; rule 2 more specific.
  RuleOrder order = order_of(3, {{2, 0, 5}});
  std::vector<FactRef> token_facts{fact(4, 7)};
  // advise: by rank whatever the kind, then the older activation.
  Agenda adv(RuleStrategy::Advise, order);
  adv.add_token(1, 10, token_facts);
  add(adv, 0, {FactRef{FactId::slot(3), 0}});
  adv.add_token(2, 11, token_facts);
  adv.add_token(1, 12, token_facts);
  std::vector<std::int32_t> tokens;
  while (!adv.empty()) tokens.push_back(adv.pop().token);
  CHECK(tokens == std::vector<std::int32_t>{11, -1, 10, 12});
  // The other strategies: at equal priority, records first; a token's
  // activation is consumed when it fires (no refraction by versions).
  for (RuleStrategy s : {RuleStrategy::Depth, RuleStrategy::Breadth, RuleStrategy::Lex, RuleStrategy::Mea}) {
    Agenda g(s, order);
    std::int32_t t = g.add_token(1, 10, token_facts);
    g.add_token(2, 11, token_facts);
    add(g, 0, {FactRef{FactId::slot(3), 0}});
    g.remove(t);
    CHECK(drain(g) == std::vector<std::int32_t>{0, 2});
    CHECK_FALSE(g.fired(2));  // fired(): activations over records
  }
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
    for (const Firing& f : r.firings) out.push_back(std::string(r.rules->rules[static_cast<std::size_t>(f.rule)].name()));
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

TEST_CASE("agenda: a rule fires again when a conjunct it watches goes false and true again", "[agenda]") {
  // `flip` holds, `unflip` makes strategy single (flip's second conjunct
  // false), `reflip` makes it dual again (each of higher priority than the
  // rule whose value it replaces): flip's conjunct over strategy went true,
  // false, true, and flip fires again over the new version.
  const char* rules = R"(
rule flip "" source "t" when step2ck > 100 and strategy is dual then add remediation to red_flags end
rule start "" source "t" when step2ck > 100 and strategy is missing then set strategy = dual end
rule unflip "" source "t" priority 1 when red_flags contains remediation and not (red_flags contains professionalism) then set strategy = single add professionalism to red_flags end
rule reflip "" source "t" priority 2 when strategy is single then set strategy = dual end
)";
  auto names = [](const Result& r) {
    std::vector<std::string> out;
    for (const Firing& f : r.firings) out.push_back(std::string(r.rules->rules[static_cast<std::size_t>(f.rule)].name()));
    return out;
  };
  Engine e(testing::compile_rules(rules));
  Result r = e.evaluate(testing::load_test_profile(R"({"step2ck": 240})"));
  CHECK(names(r) == std::vector<std::string>{"start", "flip", "unflip", "reflip", "flip"});
}

TEST_CASE("agenda: evaluations on one engine do not see each other's state", "[agenda]") {
  // The engine keeps its evaluations' working space for the next one
  // (stamped with an epoch, not cleared): each result must be the one a
  // fresh engine gives, whatever ran before on the same engine.
  const char* rules = R"(
rule high "" source "t" when step2ck >= 250 then set strategy = single end
rule low "" source "t" when step2ck < 250 and strategy is missing then set strategy = dual end
rule flag "" source "t" when strategy is dual then add remediation to red_flags end
rule both "" source "t" when strategy is single and step2ck > 260 then add professionalism to red_flags end
)";
  auto firings = [](const Result& r) {
    std::vector<std::int32_t> out;
    for (const Firing& f : r.firings) out.push_back(f.rule);
    return out;
  };
  std::vector<Profile> profiles{testing::load_test_profile(R"({"step2ck": 240})"),
                                testing::load_test_profile(R"({"step2ck": 265})"),
                                testing::load_test_profile(R"({"step2ck": 255})"),
                                testing::load_test_profile(R"({})")};
  for (const char* strategy : {"", "strategy depth\n", "strategy lex\n"}) {
    auto rs = testing::compile_rules(std::string(strategy) + rules);
    Engine shared(rs);
    for (int round = 0; round < 3; ++round)
      for (const Profile& p : profiles) {
        Engine fresh(rs);
        CHECK(firings(shared.evaluate(p)) == firings(fresh.evaluate(p)));
      }
  }
}
