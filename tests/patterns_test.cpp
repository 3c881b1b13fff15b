// Rules over facts of many kinds, end to end: the language (checked by the
// checker), compiled to the Rete network and run by Engine::evaluate —
// joins, both negations, exists, aggregates with retraction, actions on
// facts, logical support, strategies, refraction, guards, unknown values and
// concurrent evaluation. The matcher's nodes alone are tested in rete_test.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "engine/compile.hpp"
#include "engine/engine.hpp"
#include "engine/explain.hpp"
#include "engine/explain_internal.hpp"
#include "engine/working_memory.hpp"
#include "kb/facts.hpp"
#include "tests/support/fixtures.hpp"

using namespace advise;
using namespace advise::testing;

namespace {

const char* kGuests = R"(
template guest "A guest"
  name: symbol
  sex: {m, f}
  hobby: symbol
  age: integer 0..120 optional
end
template pair "Two guests"
  a: symbol
  b: symbol
end
template tally "A number"
  n: number
end
)";

struct Run {
  std::shared_ptr<const RuleSet> rules;
  std::vector<FactRecord> facts;
  Result result;
};

// Rules (after the templates above) over CLIPS-syntax facts, for a profile.
Run run(const std::string& rules, const std::string& clips_facts, const std::string& profile = "{}") {
  Run out;
  out.rules = compile_rules(std::string(kGuests) + rules);
  std::vector<DataError> errors;
  TemplateSet ts{out.rules->templates};
  bool ok = read_facts_clips(clips_facts, "facts.fct", *out.rules->kb, ts, out.facts, errors);
  for (const DataError& e : errors) FAIL(e.text());
  REQUIRE(ok);
  Engine engine(out.rules);
  EngineOptions eo;
  eo.facts = &out.facts;
  out.result = engine.evaluate(load_test_profile(profile), eo);
  return out;
}

std::vector<std::string> fired(const Run& r) {
  std::vector<std::string> out;
  for (const Firing& f : r.result.firings) out.push_back(std::string(r.rules->rules[static_cast<std::size_t>(f.rule)].name()));
  return out;
}

std::vector<std::string> notes(const Run& r) {
  std::vector<std::string> out;
  for (const Message& m : r.result.messages) out.push_back(m.text);
  return out;
}

// The live records of a template, each as "field=value ..." in field order.
std::vector<std::string> live(const Run& r, const std::string& tmpl) {
  std::vector<std::string> out;
  for (const Record& rec : r.result.records) {
    if (rec.tmpl < 0 || rec.ended_by >= 0) continue;
    const TemplateDef& t = r.rules->templates[static_cast<std::size_t>(rec.tmpl)];
    if (t.name != tmpl) continue;
    std::string line;
    for (std::size_t i = 0; i < t.fields.size(); ++i)
      line += (i ? " " : "") + t.fields[i].name() + "=" + r.rules->kb->display(rec.values[i]);
    out.push_back(line);
  }
  return out;
}

// Women and men who share a hobby: a join on equal fields (hashed) with a residual test.
const char* kCouples = R"(
rule couples "" source "t"
when for each guest a where a.sex is f
  and for each guest b where b.hobby is a.hobby and b.sex is not a.sex
then note "{a.name}+{b.name}"
end
)";

const char* kSix = R"(
(guest (name n1) (sex f) (hobby h1) (age 30))
(guest (name n2) (sex m) (hobby h1) (age 41))
(guest (name n3) (sex m) (hobby h2))
(guest (name n4) (sex f) (hobby h2) (age 25))
(guest (name n5) (sex f) (hobby h3) (age 52))
(guest (name n6) (sex m) (hobby h3) (age 33))
)";

}  // namespace

TEST_CASE("patterns: for each fires once per matching fact, reading its fields", "[patterns]") {
  Run r = run(R"(
rule women "" source "t"
when for each guest g where g.sex is f
then note "{g.name} likes {g.hobby}"
end
)", kSix);
  CHECK(notes(r) == std::vector<std::string>{"n1 likes h1", "n4 likes h2", "n5 likes h3"});
}

TEST_CASE("patterns: a join on equal fields (hashed) with a residual test", "[patterns]") {
  Run r = run(kCouples, kSix);
  CHECK(notes(r) == std::vector<std::string>{"n1+n2", "n4+n3", "n5+n6"});
}

TEST_CASE("patterns: there is no, blocked and unblocked as facts come and go", "[patterns]") {
  Run r = run(R"(
rule pair_up "" source "t"
when for each guest a
  and for each guest b where b.hobby is a.hobby and b.sex is not a.sex
  and (there is no pair p where p.a is b.name and p.b is a.name)
then create pair with a = a.name, b = b.name
end
)", kSix);
  // The first pair of each couple blocks its mirror image.
  CHECK(live(r, "pair") == std::vector<std::string>{"a=n1 b=n2", "a=n3 b=n4", "a=n5 b=n6"});

  Run r2 = run(R"(
rule lonely "" source "t"
when for each guest g where g.hobby is "h1"
  and (there is no guest o where o.hobby is g.hobby and o.name is not g.name)
then note "{g.name} is alone"
end
rule leave "" source "t" priority 5
when for each guest g where g.name is "n2"
then remove g
end
)", kSix);
  // n2 leaves first (priority), which unblocks n1.
  CHECK(fired(r2) == std::vector<std::string>{"leave", "lonely"});
  CHECK(notes(r2) == std::vector<std::string>{"n1 is alone"});
}

TEST_CASE("patterns: there is a matches once, whatever the number of facts", "[patterns]") {
  Run r = run(R"(
rule any_woman "" source "t"
when there is a guest g where g.sex is f
then note "a woman"
end
rule any_h9 "" source "t"
when there is a guest g where g.hobby is "h9"
then note "h9"
end
)", kSix);
  CHECK(notes(r) == std::vector<std::string>{"a woman"});
}

TEST_CASE("patterns: aggregates count, sum, minimum, maximum and average, unknown values left out", "[patterns]") {
  Run r = run(R"(
rule a_count "" source "t" when (the number of guest g where g.sex is f) >= 0 then note "count" end
rule a_sum "" source "t" when (the sum of g.age for each guest g) >= 0 then note "sum" end
rule a_min "" source "t" when (the minimum of g.age for each guest g) >= 0 then note "min" end
rule a_max "" source "t" when (the maximum of g.age for each guest g) >= 0 then note "max" end
rule a_avg "" source "t" when (the average of g.age for each guest g) >= 0 then note "avg" end
)", kSix);
  REQUIRE(r.result.firings.size() == 5);
  std::map<std::string, double> value;
  for (const Firing& f : r.result.firings) {
    REQUIRE(f.aggregates.size() == 1);
    REQUIRE(f.aggregates[0].kind == Value::Kind::Number);
    value[std::string(r.rules->rules[static_cast<std::size_t>(f.rule)].name())] = f.aggregates[0].num;
  }
  CHECK(value["a_count"] == 3);
  CHECK(value["a_sum"] == 181);  // n3's age is unknown: left out
  CHECK(value["a_min"] == 25);
  CHECK(value["a_max"] == 52);
  CHECK(value["a_avg"] == Approx(36.2));
}

TEST_CASE("patterns: an aggregate follows removals before its rule fires", "[patterns]") {
  Run r = run(R"(
rule leave "" source "t" priority 5
when for each guest g where g.name is "n5"
then remove g
end
rule three_women "" source "t"
when (the number of guest g where g.sex is f) >= 3
then note "three women"
end
rule two_women "" source "t"
when (the number of guest g where g.sex is f) == 2
then note "two women"
end
rule young "" source "t"
when (the maximum of g.age for each guest g) < 50
then note "all under 50"
end
)", kSix);
  CHECK(fired(r) == std::vector<std::string>{"leave", "two_women", "young"});
  CHECK(notes(r) == std::vector<std::string>{"two women", "all under 50"});
}

// Counts, sums and averages follow each arrival and departure without a
// recount (rete: AggState::epoch); the values must be those of a recount.
TEST_CASE("patterns: aggregates stay exact through changes and removals, joined and not", "[patterns]") {
  Run r = run(R"(
rule rename "" source "t" priority 10
when for each guest g where g.hobby is "h1"
then change g with hobby = "h9"
end
rule leave "" source "t" priority 5
when for each guest g where g.name is "n5"
then remove g
end
rule two_h9 "" source "t"
when (the number of guest g where g.hobby is "h9") == 2
then note "two h9"
end
rule ages "" source "t"
when (the sum of g.age for each guest g) == 129 and (the average of g.age for each guest g) > 32
then note "sum 129"
end
rule pairs "" source "t"
when for each guest g where g.sex is f and (the number of guest h where h.sex is g.sex) == 2
then note "{g.name} is one of two women"
end
)", kSix);
  // 30 + 41 + 25 + 33 once n5 (52) has left; n3's age is unknown: 129 / 4.
  CHECK(notes(r) == std::vector<std::string>{"n4 is one of two women", "n1 is one of two women", "two h9", "sum 129"});
}

TEST_CASE("patterns: every … has, where an unknown value is a counterexample", "[patterns]") {
  Run r = run(R"(
rule all_h1_known "" source "t"
when every guest g where g.hobby is "h1" has g.age > 18
then note "every h1 guest is an adult"
end
rule all_h2_known "" source "t"
when every guest g where g.hobby is "h2" has g.age > 18
then note "every h2 guest is an adult"
end
)", kSix);
  // n3 (h2) has no age: `every` does not hold on an unknown.
  CHECK(notes(r) == std::vector<std::string>{"every h1 guest is an adult"});
}

TEST_CASE("patterns: an unknown field neither matches nor blocks", "[patterns]") {
  Run r = run(R"(
rule young "" source "t"
when for each guest g where g.age < 35
then note "{g.name} young"
end
rule not_young "" source "t"
when for each guest g where not (g.age < 35)
then note "{g.name} not young"
end
rule nobody_ageless_h1 "" source "t"
when there is no guest g where g.hobby is "h2" and g.age > 100
then note "no centenarian in h2"
end
)", kSix);
  // n3's age is unknown: in neither list; it does not block the negation.
  CHECK(notes(r) == std::vector<std::string>{"no centenarian in h2", "n1 young", "n4 young", "n6 young",
                                             "n2 not young", "n5 not young"});
}

TEST_CASE("patterns: change makes a new fact, and rules fire again for it", "[patterns]") {
  Run r = run(R"(
rule birthday "" source "t"
when for each guest g where g.age is present and g.age < 31
then change g with age = g.age + 1
end
)", "(guest (name n1) (sex f) (hobby h1) (age 28))");
  CHECK(fired(r) == std::vector<std::string>{"birthday", "birthday", "birthday"});
  CHECK(live(r, "guest") == std::vector<std::string>{"name=n1 sex=f hobby=h1 age=31"});
  // Every version is kept, each ended by the firing that changed it.
  REQUIRE(r.result.records.size() == 5);  // the applicant, then four versions of n1
  CHECK(r.result.records[1].input == 0);
  CHECK(r.result.records[1].ended_by == 0);
  CHECK(r.result.records[4].created_by == 2);
  CHECK(r.result.records[4].ended_by == -1);
}

TEST_CASE("patterns: logical support withdraws what a match created when the match goes", "[patterns]") {
  Run r = run(R"(
rule pair_up "" source "t"
  logical
when for each guest a where a.sex is f
  and for each guest b where b.hobby is a.hobby and b.sex is m
then create pair with a = a.name, b = b.name
end
rule leave "" source "t" priority -5
when for each guest g where g.name is "n2"
then remove g
end
)", kSix);
  // n1+n2 was created, then n2 left: the pair goes with the match.
  CHECK(live(r, "pair") == std::vector<std::string>{"a=n4 b=n3", "a=n5 b=n6"});
}

TEST_CASE("patterns: logical support withdraws a conclusion when the match that set it goes", "[patterns]") {
  // `couple` sets a conclusion while guest n2 is there, with or without
  // `logical` (LOGICAL); `leave` then removes n2.
  auto rules = [](const std::string& logical) {
    return "rule couple \"\" source \"t\"\n" + logical +
           "when there is a guest g where g.name is \"n2\"\n"
           "then set strategy = dual\n"
           "end\n"
           "rule leave \"\" source \"t\" priority -5\n"
           "when for each guest g where g.name is \"n2\"\n"
           "then remove g\n"
           "end\n"
           "rule undecided \"\" source \"t\" priority -20\n"
           "when step2ck >= 250 and strategy is missing\n"
           "then note \"undecided\"\n"
           "end\n";
  };
  Run r = run(rules("  logical\n"), kSix, R"({"step2ck": 255})");
  CHECK(fired(r) == std::vector<std::string>{"couple", "leave", "undecided"});
  CHECK(r.result.conclusion("strategy").is_missing());
  std::int32_t slot = r.rules->conclusion_slot("strategy");
  std::int32_t cur = r.result.current[static_cast<std::size_t>(slot)];
  REQUIRE(cur >= 0);
  const Fact& w = r.result.facts[static_cast<std::size_t>(cur)];
  CHECK(w.evidence.kind == Evidence::Kind::Withdrawn);
  CHECK(w.evidence.firing == 1);     // `leave` removed the guest the match held
  CHECK(w.evidence.restored == -1);  // missing again, as before `couple`
  CHECK(r.rules->kb->source_text(r.result.facts[static_cast<std::size_t>(w.prev)].value) == "dual");  // what went
  CHECK(r.result.firings[1].changes.size() == 1);  // the trace shows the withdrawal under `leave`
  // A rule without `logical` keeps what it set (and `undecided` never applies).
  Run kept = run(rules(""), kSix, R"({"step2ck": 255})");
  CHECK(fired(kept) == std::vector<std::string>{"couple", "leave"});
  CHECK(kept.rules->kb->source_text(kept.result.conclusion("strategy")) == "dual");
}

TEST_CASE("patterns: a logical rule whose own action removes its match keeps nothing it makes after", "[patterns]") {
  Run r = run(R"(
rule consume "" source "t"
  logical
when for each guest g where g.name is "n5"
then remove g
  create pair with a = g.name, b = g.name
  set strategy = single
end
)", kSix);
  CHECK(fired(r) == std::vector<std::string>{"consume"});
  CHECK(live(r, "pair").empty());  // created after its support went: ended at once
  CHECK(r.result.conclusion("strategy").is_missing());
}

TEST_CASE("patterns: strategies order activations as CLIPS and OPS5 do", "[patterns]") {
  const std::string rules = R"(
rule greet "" source "t"
when for each guest g where g.sex is m
then note "{g.name}"
end
)";
  CHECK(notes(run(rules, kSix)) == std::vector<std::string>{"n2", "n3", "n6"});  // advise: oldest first
  CHECK(notes(run("strategy breadth\n" + rules, kSix)) == std::vector<std::string>{"n2", "n3", "n6"});
  CHECK(notes(run("strategy depth\n" + rules, kSix)) == std::vector<std::string>{"n6", "n3", "n2"});
  CHECK(notes(run("strategy lex\n" + rules, kSix)) == std::vector<std::string>{"n6", "n3", "n2"});
  CHECK(notes(run("strategy mea\n" + rules, kSix)) == std::vector<std::string>{"n6", "n3", "n2"});
}

TEST_CASE("patterns: refraction is per activation: one firing per rule and facts matched", "[patterns]") {
  Run r = run(R"(
rule count_up "" source "t"
when for each guest g where g.sex is f
  and there is a tally t where t.n >= 0
then note "{g.name}"
end
rule make_tally "" source "t" priority 5
when there is no tally t where t.n >= 0
then create tally with n = 1
end
)", kSix);
  CHECK(fired(r) == std::vector<std::string>{"make_tally", "count_up", "count_up", "count_up"});
}

TEST_CASE("patterns: guards over the applicant's fields and conclusions, turning true later", "[patterns]") {
  Run r = run(R"(
rule classify "" source "t"
when step2ck >= 250
then set strategy = single
end
rule per_guest "" source "t" priority -1
when strategy is single and stage is ms4
  and for each guest g where g.hobby is "h1"
then note "{g.name} with {strategy}"
end
)", kSix, R"({"step2ck": 255, "stage": "ms4"})");
  CHECK(fired(r) == std::vector<std::string>{"classify", "per_guest", "per_guest"});
  CHECK(notes(r) == std::vector<std::string>{"n1 with single", "n2 with single"});

  Run low = run(R"(
rule per_guest "" source "t"
when step2ck >= 250 and for each guest g
then note "{g.name}"
end
)", kSix, R"({"step2ck": 240})");
  CHECK(low.result.firings.empty());
}

TEST_CASE("patterns: `is missing`, `is present`, `in` and `not in` a constant set or range are compiled tests", "[patterns]") {
  const std::string rules = R"(
rule no_age "" source "t"
when for each guest g where g.age is missing
then note "no age {g.name}"
end
rule young "" source "t"
when for each guest g where g.age is present and g.age in 25..35
then note "25-35 {g.name}"
end
rule not_30_41 "" source "t"
when for each guest g where g.age not in {30, 41}
then note "not 30/41 {g.name}"
end
rule hobby "" source "t"
when for each guest g where g.hobby in {"h1", "h2"} and g.sex not in {m}
then note "h1/h2 f {g.name}"
end
)";
  Run r = run(rules, kSix);
  // n3 has no age: `not in` is unknown for it, as the language says (rules
  // with more tests first: the `advise` order).
  CHECK(notes(r) == std::vector<std::string>{"25-35 n1", "25-35 n4", "25-35 n6", "h1/h2 f n1", "h1/h2 f n4",
                                             "no age n3", "not 30/41 n4", "not 30/41 n5", "not 30/41 n6"});
  // None of them is left to a predicate over the checked expression.
  PatternProgram pp = compile_patterns(*r.rules);
  CHECK(pp.preds.empty());
  std::vector<rete::TestOp> ops;
  for (const rete::AlphaMemDesc& a : pp.net.alphas())
    for (const rete::Test& t : a.tests) ops.push_back(t.op);
  using rete::TestOp;
  CHECK(ops == std::vector<TestOp>{TestOp::Missing, TestOp::Present, TestOp::Ge, TestOp::Le, TestOp::NotIn,
                                   TestOp::In, TestOp::NotIn});
}

TEST_CASE("patterns: a boolean field as a condition is a compiled test: true holds, false and unknown do not",
          "[patterns]") {
  Run r = run(R"(
template badge "A badge"
  name: symbol
  vip: boolean optional
end
rule vip "" source "t"
when for each badge b where b.vip
then note "vip {b.name}"
end
rule not_vip "" source "t"
when for each badge b where not b.vip
then note "not vip {b.name}"
end
)", "(badge (name b1) (vip true))\n(badge (name b2) (vip false))\n(badge (name b3))\n");
  CHECK(notes(r) == std::vector<std::string>{"vip b1", "not vip b2"});
  // `b.vip` is an equality test of the network, not a predicate.
  PatternProgram pp = compile_patterns(*r.rules);
  bool compiled = false;
  for (const rete::AlphaMemDesc& a : pp.net.alphas())
    for (const rete::Test& t : a.tests) compiled = compiled || t.op == rete::TestOp::Eq;
  CHECK(compiled);
  CHECK(pp.preds.size() == 1);  // `not b.vip`
}

TEST_CASE("patterns: a predicate the network cannot compile (arithmetic, in a set) is still exact", "[patterns]") {
  Run r = run(R"(
rule older_partner "" source "t"
when for each guest a where a.sex is f and a.age is present
  and for each guest b where b.hobby is a.hobby and b.age > a.age + 10 and b.hobby in {"h1", "h3"}
then note "{a.name} < {b.name}"
end
)", kSix);
  CHECK(notes(r) == std::vector<std::string>{"n1 < n2"});
}

TEST_CASE("patterns: one engine evaluated from many threads gives identical results", "[patterns][concurrency]") {
  auto rules = compile_rules(std::string(kGuests) + R"(
rule pair_up "" source "t"
when for each guest a
  and for each guest b where b.hobby is a.hobby and b.sex is not a.sex
  and (there is no pair p where p.a is b.name and p.b is a.name)
then create pair with a = a.name, b = b.name
end
)");
  std::vector<FactRecord> facts;
  std::vector<DataError> errors;
  TemplateSet ts{rules->templates};
  REQUIRE(read_facts_clips(kSix, "facts.fct", *rules->kb, ts, facts, errors));
  Engine engine(rules);
  EngineOptions eo;
  eo.facts = &facts;
  Profile profile = load_test_profile("{}");
  std::vector<std::size_t> sizes(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < sizes.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) sizes[t] = engine.evaluate(profile, eo).records.size();
    });
  for (std::thread& t : threads) t.join();
  for (std::size_t n : sizes) CHECK(n == 1 + 6 + 3);
}

namespace {
// The failing tests of a why-not candidate, as "text: value" lines.
std::string why_not_lines(const Run& r, const std::string& query, const std::string& rule) {
  auto w = explain_why_not_fact(r.result, query);
  REQUIRE(w);
  INFO(w->error);
  REQUIRE(w->error.empty());
  std::string out;
  for (const WhyNotCandidate& c : w->candidates) {
    if (c.rule.name() != rule) continue;
    if (c.fired) out += "fired\n";
    for (const TestRecord& t : c.failed) {
      out += t.text;
      for (const FactValue& f : t.facts) out += " | " + f.name + ": " + f.display;
      out += "\n";
    }
  }
  return out;
}
}  // namespace

TEST_CASE("why not for a fact: through a third pattern, the deepest partial match and what stops it",
          "[patterns][why-not]") {
  auto r = run(R"(
rule chain "" source "t"
when for each guest a where a.sex is m
  and for each guest b where b.hobby is a.hobby and b.sex is f
  and for each pair p where p.a is b.name
then note "{a.name}" end
)",
               "(guest (name n1) (sex m) (hobby h1)) (guest (name n2) (sex f) (hobby h1)) (guest (name n3) (sex m) (hobby h9))"
               " (pair (a n7) (b n8))");
  // n1 finds its partner n2, but no pair names n2: the third pattern stops
  // it. (As `b`, n1 fails its own test.)
  CHECK(why_not_lines(r, "guest=n1", "chain") ==
        "for each pair p where p.a is b.name | because: no pair matches with this guest and the facts matched before it\n"
        "b.sex is f | b.sex: m\n");
  // n3 has no partner at all: the second pattern stops it.
  CHECK(why_not_lines(r, "guest=n3", "chain") ==
        "for each guest b where b.hobby is a.hobby and b.sex is f | because: no guest matches with this guest\n"
        "b.sex is f | b.sex: m\n");
}

TEST_CASE("why not for a fact: an aggregate's value against its test", "[patterns][why-not]") {
  auto r = run(R"(
rule crowded "" source "t"
when for each guest g where g.sex is f
  and (the number of guest o where o.hobby is g.hobby) >= 3
then note "{g.name}" end
)",
               "(guest (name n1) (sex f) (hobby h1)) (guest (name n2) (sex m) (hobby h1)) (guest (name n3) (sex m) (hobby h2))");
  std::string lines = why_not_lines(r, "guest=n1", "crowded");
  CAPTURE(lines);
  // The aggregate's value is 2 (n1 and n2 share h1), against `>= 3`; the
  // test reads with its parentheses (RuleSet::expr_text).
  CHECK(lines == "(the number of guest o where o.hobby is g.hobby) >= 3 | the number of guest o where o.hobby is g.hobby: 2\n");
}

TEST_CASE("why not for a fact: a negation's blocking fact, and a fact the rule fired for", "[patterns][why-not]") {
  auto r = run(R"(
rule alone "" source "t"
when for each guest g
  and (there is no guest o where o.hobby is g.hobby and o.sex is not g.sex)
then note "{g.name}" end
)",
               "(guest (name n1) (sex f) (hobby h1)) (guest (name n2) (sex m) (hobby h1)) (guest (name n3) (sex m) (hobby h2))");
  CHECK(why_not_lines(r, "guest=n1", "alone") ==
        "there is no guest o where o.hobby is g.hobby and o.sex is not g.sex | because: blocked by guest name n2, from "
        "facts.fct:1:38 (fact 2)\n");
  CHECK(why_not_lines(r, "guest=n3", "alone") == "fired\n");
}

TEST_CASE("patterns: explanations address the facts a test read by FactId, template and record", "[patterns]") {
  Run r = run(kCouples, kSix);
  REQUIRE_FALSE(r.result.firings.empty());
  const Firing& f = r.result.firings[0];
  REQUIRE(f.matched.size() == 2);
  std::vector<TestRecord> tests = firing_tests(r.result, f);
  const TestRecord* join = nullptr;
  for (const TestRecord& t : tests)
    if (t.text == "b.hobby is a.hobby") join = &t;
  REQUIRE(join);
  REQUIRE(join->facts.size() == 2);
  // b.hobby, then a.hobby: each a field (hobby, field 2) of the record bound at its level.
  const FactValue& b = join->facts[0];
  const FactValue& a = join->facts[1];
  CHECK(b.name == "b.hobby");
  CHECK(b.fact == FactId::of_record(r.result.records[static_cast<std::size_t>(f.matched[1])].tmpl, f.matched[1]));
  CHECK(a.fact == FactId::of_record(r.result.records[static_cast<std::size_t>(f.matched[0])].tmpl, f.matched[0]));
  CHECK(a.field == 2);
  CHECK(b.field == 2);
  CHECK(a.of_template());
  CHECK(a.slot() == -1);
  CHECK_FALSE(a.fact == b.fact);
}

TEST_CASE("patterns: working memory answers by FactId: the facts a firing matched, who made a fact, whether it holds",
          "[patterns]") {
  Run r = run(R"(
rule pair_up "" source "t"
when for each guest a where a.sex is f
  and for each guest b where b.hobby is a.hobby and b.sex is not a.sex
then create pair with a = a.name, b = b.name
  remove b
end
)", kSix);
  WorkingMemory wm(r.result);
  REQUIRE_FALSE(r.result.firings.empty());
  const Firing& f = r.result.firings[0];
  std::vector<FactRef> m = wm.matched(0);
  REQUIRE(m.size() == 2);  // the rule reads no slot: the two guests, in level order
  CHECK(m[0].id.record == f.matched[0]);
  CHECK(m[1].id.record == f.matched[1]);
  CHECK(m[0].version == r.result.records[static_cast<std::size_t>(f.matched[0])].timetag);
  CHECK(wm.made_by(m[0].id) == -1);  // given by the facts file
  CHECK(wm.holds(m[0].id));
  CHECK_FALSE(wm.holds(m[1].id));  // removed by the firing
  std::int32_t pair = -1;
  for (std::size_t i = 0; i < r.result.records.size(); ++i)
    if (r.result.records[i].created_by == 0) pair = static_cast<std::int32_t>(i);
  REQUIRE(pair >= 0);
  CHECK(wm.made_by(FactId::of_record(r.result.records[static_cast<std::size_t>(pair)].tmpl, pair)) == 0);
  CHECK(wm.made_by(FactId::slot(r.rules->conclusion_slot("strategy"))) == -1);  // missing
  CHECK_FALSE(wm.holds(FactId::slot(r.rules->conclusion_slot("strategy"))));
}

TEST_CASE("patterns: the knowledge base's specialties are facts of the template `specialty`", "[patterns][specialty]") {
  // Matched in patterns, joined with the applicant's fields, counted; the
  // same record member access reads (`target_specialty.class`).
  auto r = run(R"(
rule backups "" source "t"
when for each specialty t where t.id is target_specialty
  and for each specialty b where t.backups contains b.id and not b.advanced
then note "{b.id} {b.apps_min}"
end
rule ultra "" source "t"
when (the number of specialty s where s.class is target_specialty.class) >= 6
then note "six"
end
)",
               "", R"({"target_specialty": "orthopedic_surgery"})");
  CHECK(notes(r) == std::vector<std::string>{"general_surgery 20", "preliminary_surgery 3", "six"});  // pm_r starts at PGY-2
  CHECK(live(r, "specialty").size() == r.rules->kb->specialties.size());
  // Where each matched specialty came from, for explanations.
  const Record& first = r.result.records[1];
  CHECK(explain_detail::record_origin(r.result, first, false) == "kb/specialties.json ($.dermatology)");
}
