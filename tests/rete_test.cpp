// The Rete network of engine/rete.hpp, node kind by node kind: hashed joins,
// `there is no`, `there is a`, aggregates under retraction, sharing, the
// agenda's strategies and refraction per activation.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/rete.hpp"

using namespace advise::rete;

namespace {

// person(name, city, age) and office(city): symbols are small integers here.
struct World {
  NetworkBuilder b;
  std::int32_t person = b.add_template({"person", {{"name", CellKind::Id}, {"city", CellKind::Id}, {"age", CellKind::Number}}});
  std::int32_t office = b.add_template({"office", {{"city", CellKind::Id}}});
};

std::int32_t add_person(Matcher& m, std::int32_t tmpl, int name, int city, double age) {
  Cell c[3] = {id_cell(name), id_cell(city), number_cell(age)};
  return m.assert_fact(tmpl, c);
}
std::int32_t add_office(Matcher& m, std::int32_t tmpl, int city) {
  Cell c[1] = {id_cell(city)};
  return m.assert_fact(tmpl, c);
}

// Pops the whole agenda: the rules of the activations, in firing order.
std::vector<std::int32_t> drain(Matcher& m) {
  std::vector<std::int32_t> out;
  for (std::int32_t a = m.pop(); a >= 0; a = m.pop()) out.push_back(m.activation(a).rule);
  return out;
}

std::size_t agenda_size(Matcher& m) { return drain(m).size(); }

}  // namespace

TEST_CASE("rete: a join on an equality is hashed and follows asserts and retracts") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  auto ao = w.b.alpha(w.office, {});
  auto j1 = w.b.join(NetworkBuilder::root(), ap, {}, {});
  auto j2 = w.b.join(j1, ao, {{Operand::at(0, 1), 0}}, {});  // office.city is p.city
  w.b.production(j2, 0, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  for (int i = 0; i < 10; ++i) add_person(m, w.person, i, i % 3, 30);  // cities 0,1,2: 4,3,3 people
  auto o1 = add_office(m, w.office, 1);
  CHECK(m.live_tokens() > 0);
  std::vector<std::int32_t> names;
  for (std::int32_t a = m.pop(); a >= 0; a = m.pop()) {
    auto t = m.activation(a).token;
    names.push_back(static_cast<std::int32_t>(m.cell(m.level_fact(t, 0), 0).id));
    CHECK(m.cell(m.level_fact(t, 1), 0).id == 1);
  }
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::int32_t>{1, 4, 7});
  // A second office in city 1 matches the same people again; retracting it
  // removes those matches before they fire.
  auto o2 = add_office(m, w.office, 1);
  m.retract(o2);
  CHECK(agenda_size(m) == 0);
  m.retract(o1);
  add_office(m, w.office, 2);
  CHECK(agenda_size(m) == 3);
}

TEST_CASE("rete: a self-join makes each pair exactly once") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  auto j1 = w.b.join(NetworkBuilder::root(), ap, {}, {});
  // p2.city is p1.city and p2.name is not p1.name
  auto j2 = w.b.join(j1, ap, {{Operand::at(0, 1), 1}}, {{TestOp::Ne, Operand::self(0), Operand::at(0, 0)}});
  w.b.production(j2, 0, 0, 2);
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  for (int i = 0; i < 6; ++i) add_person(m, w.person, i, i % 2, 30);  // two cities of 3
  CHECK(agenda_size(m) == 12);  // 2 cities x 3 x 2 ordered pairs
}

TEST_CASE("rete: there is no blocks by one fact and unblocks when the last blocker goes") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  auto ao = w.b.alpha(w.office, {});
  auto j1 = w.b.join(NetworkBuilder::root(), ap, {}, {});
  auto n = w.b.negative(j1, ao, {{Operand::at(0, 1), 0}}, {});
  w.b.production(n, 0, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  auto p = add_person(m, w.person, 1, 5, 30);
  (void)p;
  auto o1 = add_office(m, w.office, 5);
  auto o2 = add_office(m, w.office, 5);
  CHECK(agenda_size(m) == 0);  // blocked as soon as the office came
  m.retract(o1);
  CHECK(agenda_size(m) == 0);  // o2 still blocks
  m.retract(o2);
  CHECK(agenda_size(m) == 1);  // unblocked: a new activation
  add_office(m, w.office, 6);  // another city: no effect
  CHECK(agenda_size(m) == 0);
}

TEST_CASE("rete: there is a activates once however many facts match") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  auto ao = w.b.alpha(w.office, {});
  auto j1 = w.b.join(NetworkBuilder::root(), ap, {}, {});
  auto e = w.b.exists(j1, ao, {{Operand::at(0, 1), 0}}, {});
  w.b.production(e, 0, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  add_person(m, w.person, 1, 5, 30);
  auto o1 = add_office(m, w.office, 5);
  add_office(m, w.office, 5);
  CHECK(agenda_size(m) == 1);
  m.retract(o1);  // still one office: the activation was consumed and stays so
  CHECK(agenda_size(m) == 0);
}

TEST_CASE("rete: an aggregate follows asserts and retracts") {
  World w;
  auto ao = w.b.alpha(w.office, {});
  auto ap = w.b.alpha(w.person, {});
  auto j1 = w.b.join(NetworkBuilder::root(), ao, {}, {});
  // the number of person q where q.city is o.city >= 2
  auto ag = w.b.aggregate(j1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Count, {},
                          {{TestOp::Ge, Operand::agg(1), Operand::value(number_cell(2))}});
  auto prod = w.b.production(ag, 0, 0, 1);
  // the oldest age in the city
  auto mx = w.b.aggregate(j1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Max, Operand::self(2), {});
  w.b.production(mx, 1, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  CHECK(net.node(prod).depth == 2);
  Matcher m(net);
  add_office(m, w.office, 7);
  auto p1 = add_person(m, w.person, 1, 7, 30);
  CHECK(drain(m) == std::vector<std::int32_t>{1});  // max defined, count 1 < 2
  auto p2 = add_person(m, w.person, 2, 7, 50);
  std::int32_t count_token = -1, max_token = -1;
  for (std::int32_t a = m.pop(); a >= 0; a = m.pop())
    (m.activation(a).rule == 0 ? count_token : max_token) = m.activation(a).token;
  REQUIRE(count_token >= 0);
  REQUIRE(max_token >= 0);
  CHECK(m.level_value(count_token, 1) == 2);
  CHECK(m.level_value(max_token, 1) == 50);
  m.retract(p2);  // count drops below 2; the max goes back to 30
  std::vector<std::int32_t> rules;
  for (std::int32_t a = m.pop(); a >= 0; a = m.pop()) {
    rules.push_back(m.activation(a).rule);
    CHECK(m.level_value(m.activation(a).token, 1) == 30);
  }
  CHECK(rules == std::vector<std::int32_t>{1});
  m.retract(p1);  // max of nothing: no value
  CHECK(agenda_size(m) == 0);
}

TEST_CASE("rete: rules with the same first patterns share their nodes and alpha memories") {
  World w;
  auto ap = w.b.alpha(w.person, {{TestOp::Ge, Operand::self(2), Operand::value(number_cell(18))}});
  auto ap2 = w.b.alpha(w.person, {{TestOp::Ge, Operand::self(2), Operand::value(number_cell(18))}});
  CHECK(ap == ap2);
  auto j1 = w.b.join(NetworkBuilder::root(), ap, {}, {});
  auto j1b = w.b.join(NetworkBuilder::root(), ap2, {}, {});
  CHECK(j1 == j1b);
  auto ao = w.b.alpha(w.office, {});
  auto j2 = w.b.join(j1, ao, {{Operand::at(0, 1), 0}}, {});
  auto n2 = w.b.negative(j1b, ao, {{Operand::at(0, 1), 0}}, {});
  CHECK(j2 != n2);
  w.b.production(j2, 0, 0, 2);
  w.b.production(n2, 1, 0, 2);
  Network net = w.b.finish(Strategy::Breadth);
  CHECK(net.nodes().size() == 6);  // root, j1, j2, n2, two productions
  Matcher m(net);
  add_person(m, w.person, 1, 3, 17);  // filtered by the alpha test
  add_person(m, w.person, 2, 3, 40);
  add_office(m, w.office, 3);
  CHECK(drain(m) == std::vector<std::int32_t>{0});  // n2's activation came and went
}

TEST_CASE("rete: depth takes the newest activation first, breadth the oldest") {
  for (Strategy s : {Strategy::Depth, Strategy::Breadth}) {
    World w;
    auto ap = w.b.alpha(w.person, {});
    w.b.production(w.b.join(NetworkBuilder::root(), ap, {}, {}), 0, 0, 0);
    Network net = w.b.finish(s);
    Matcher m(net);
    for (int i = 0; i < 4; ++i) add_person(m, w.person, i, 0, 0);
    std::vector<std::int64_t> order;
    for (std::int32_t a = m.pop(); a >= 0; a = m.pop()) order.push_back(m.cell(m.level_fact(m.activation(a).token, 0), 0).id);
    if (s == Strategy::Depth)
      CHECK(order == std::vector<std::int64_t>{3, 2, 1, 0});
    else
      CHECK(order == std::vector<std::int64_t>{0, 1, 2, 3});
  }
}

TEST_CASE("rete: priority goes first in every strategy; advise then orders by specificity and rule") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  auto j = w.b.join(NetworkBuilder::root(), ap, {}, {});
  w.b.production(j, 0, 0, 1);
  w.b.production(j, 1, 5, 1);  // higher priority
  w.b.production(j, 2, 0, 3);  // more specific
  Network net = w.b.finish(Strategy::Advise);
  Matcher m(net);
  add_person(m, w.person, 1, 0, 0);
  add_person(m, w.person, 2, 0, 0);
  CHECK(drain(m) == std::vector<std::int32_t>{1, 1, 2, 2, 0, 0});
}

TEST_CASE("rete: lex prefers the activation with the most recent facts; mea the most recent first pattern") {
  for (Strategy s : {Strategy::Lex, Strategy::Mea}) {
    World w;
    auto ap = w.b.alpha(w.person, {});
    auto ao = w.b.alpha(w.office, {});
    // rule 0: office then person; rule 1: person then office (same facts)
    auto r0 = w.b.join(w.b.join(NetworkBuilder::root(), ao, {}, {}), ap, {{Operand::at(0, 0), 1}}, {});
    w.b.production(r0, 0, 0, 2);
    auto r1 = w.b.join(w.b.join(NetworkBuilder::root(), ap, {}, {}), ao, {{Operand::at(0, 1), 0}}, {});
    w.b.production(r1, 1, 0, 2);
    Network net = w.b.finish(s);
    Matcher m(net);
    add_office(m, w.office, 1);             // time tag 1
    add_person(m, w.person, 9, 1, 0);       // time tag 2
    // LEX: both have tags {2, 1}: a tie broken by the newer activation.
    // MEA: rule 1's first pattern (the person, tag 2) is newer than rule 0's (the office, tag 1).
    auto order = drain(m);
    REQUIRE(order.size() == 2);
    CHECK(order[0] == 1);
  }
}

TEST_CASE("rete: refraction is per activation; a modified fact activates again") {
  World w;
  auto ap = w.b.alpha(w.person, {{TestOp::Ge, Operand::self(2), Operand::value(number_cell(18))}});
  w.b.production(w.b.join(NetworkBuilder::root(), ap, {}, {}), 0, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  auto p = add_person(m, w.person, 1, 0, 20);
  CHECK(agenda_size(m) == 1);
  CHECK(agenda_size(m) == 0);  // fired once for these facts
  std::pair<std::int16_t, Cell> older[] = {{2, number_cell(21)}};
  auto p2 = m.modify(p, older);
  CHECK(m.fact(p2).timetag > m.fact(p).timetag);
  CHECK_FALSE(m.fact(p).alive);
  CHECK(agenda_size(m) == 1);
  std::pair<std::int16_t, Cell> younger[] = {{2, number_cell(10)}};
  m.modify(p2, younger);
  CHECK(agenda_size(m) == 0);
}

TEST_CASE("rete: a missing field never matches a test, and never blocks") {
  World w;
  auto ap = w.b.alpha(w.person, {{TestOp::Lt, Operand::self(2), Operand::value(number_cell(18))}});
  w.b.production(w.b.join(NetworkBuilder::root(), ap, {}, {}), 0, 0, 1);
  auto all = w.b.alpha(w.person, {});
  auto ao = w.b.alpha(w.office, {});
  w.b.production(w.b.negative(w.b.join(NetworkBuilder::root(), ao, {}, {}), all, {{Operand::at(0, 0), 1}}, {}), 1, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  Cell c[3] = {id_cell(1), id_cell(0), number_cell(0)};
  m.assert_fact(w.person, c, 0b110);  // city and age missing
  add_office(m, w.office, 0);
  CHECK(drain(m) == std::vector<std::int32_t>{1});  // no age: not under 18; no city: not in office 0's city
}

TEST_CASE("rete: a test that reads a global is re-run when the global changes") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  // for each person p where p.age >= global 0 (a threshold the engine keeps)
  auto j = w.b.join(NetworkBuilder::root(), ap, {}, {{TestOp::Ge, Operand::self(2), Operand::global(0)}});
  w.b.production(j, 0, 0, 1);
  CHECK_THROWS_AS(w.b.alpha(w.person, {{TestOp::Eq, Operand::self(0), Operand::global(0)}}), std::invalid_argument);
  Network net = w.b.finish(Strategy::Depth);
  CHECK(net.readers_of_global(0) == std::vector<std::int32_t>{j});
  Matcher m(net);
  add_person(m, w.person, 1, 0, 20);
  add_person(m, w.person, 2, 0, 40);
  CHECK(agenda_size(m) == 0);  // the global is missing: unknown, no match
  m.set_global(0, number_cell(30), false);
  CHECK(agenda_size(m) == 1);
  m.set_global(0, number_cell(30), false);  // unchanged: nothing happens
  CHECK(agenda_size(m) == 0);
  m.set_global(0, number_cell(10), false);  // both match; both are new activations
  CHECK(agenda_size(m) == 2);
  m.set_global(0, Cell{}, true);
  CHECK(agenda_size(m) == 0);
}

TEST_CASE("rete: a logically supported fact goes when its support goes, and what it supported with it") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  auto ao = w.b.alpha(w.office, {});
  auto r0 = w.b.production(w.b.join(NetworkBuilder::root(), ap, {}, {}), 0, 0, 1);
  auto r1 = w.b.production(w.b.join(NetworkBuilder::root(), ao, {}, {}), 1, 0, 1);
  (void)r0;
  (void)r1;
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  auto p = add_person(m, w.person, 1, 7, 30);
  // rule 0 fires for the person and, logically, creates an office in its city;
  // rule 1 fires for the office and logically supports an external item 42.
  auto a = m.pop();
  REQUIRE(m.activation(a).rule == 0);
  auto o = add_office(m, w.office, 7);
  m.support(m.activation(a).token, o);
  auto b = m.pop();
  REQUIRE(m.activation(b).rule == 1);
  m.support_external(m.activation(b).token, 42);
  CHECK(m.take_unsupported().empty());
  m.retract(p);
  CHECK_FALSE(m.fact(o).alive);                               // the office lost its support
  CHECK(m.take_unsupported() == std::vector<std::int32_t>{42});  // and so did item 42
}

TEST_CASE("rete: a fact supported twice stays until both supports go") {
  World w;
  auto ap = w.b.alpha(w.person, {});
  w.b.production(w.b.join(NetworkBuilder::root(), ap, {}, {}), 0, 0, 1);
  Network net = w.b.finish(Strategy::Breadth);
  Matcher m(net);
  auto p1 = add_person(m, w.person, 1, 7, 30);
  auto p2 = add_person(m, w.person, 2, 7, 30);
  auto t1 = m.activation(m.pop()).token;  // a record is valid until the next pop; its token stays
  auto t2 = m.activation(m.pop()).token;
  auto o = add_office(m, w.office, 7);
  m.support(t1, o);
  m.support(t2, o);
  m.retract(p1);
  CHECK(m.fact(o).alive);
  m.retract(p2);
  CHECK_FALSE(m.fact(o).alive);
}

TEST_CASE("rete: aggregates are updated by the fact that enters or leaves, not recomputed") {
  World w;
  auto ao = w.b.alpha(w.office, {});
  auto ap = w.b.alpha(w.person, {});
  auto j1 = w.b.join(NetworkBuilder::root(), ao, {}, {});
  auto cnt = w.b.aggregate(j1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Count, {}, {});
  w.b.production(cnt, 0, 0, 1);
  auto sum = w.b.aggregate(j1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Sum, Operand::self(2), {});
  w.b.production(sum, 1, 0, 1);
  auto mn = w.b.aggregate(j1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Min, Operand::self(2), {});
  w.b.production(mn, 2, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  Matcher m(net);
  add_office(m, w.office, 7);
  CHECK(m.stats().agg_recomputed == 3);  // the office's token arrives at each aggregate
  std::vector<std::int32_t> people;
  for (int i = 0; i < 100; ++i) people.push_back(add_person(m, w.person, i, 7, 20 + i));
  CHECK(m.stats().agg_recomputed == 3);
  CHECK(m.stats().agg_updated == 300);
  // The latest value of each aggregate (an unchanged one is not re-emitted).
  std::vector<double> latest(3, -1);
  auto values = [&] {
    for (std::int32_t a = m.pop(); a >= 0; a = m.pop())
      latest[static_cast<std::size_t>(m.activation(a).rule)] = m.level_value(m.activation(a).token, 1);
    return latest;
  };
  CHECK(values() == std::vector<double>{100, 100 * 20 + 99 * 100 / 2, 20});
  m.retract(people[50]);  // not the minimum: all three updated in place
  CHECK(m.stats().agg_recomputed == 3);
  CHECK(values() == std::vector<double>{99, 100 * 20 + 99 * 100 / 2 - 70, 20});
  m.retract(people[0]);  // the minimum: only the minimum is recomputed
  CHECK(m.stats().agg_recomputed == 4);
  CHECK(values() == std::vector<double>{98, 100 * 20 + 99 * 100 / 2 - 70 - 20, 21});
}

TEST_CASE("rete: an aggregate below another keeps its state when the one above changes value") {
  // `the number of person in the office ... and the number of person in the
  // office ...`: each person changes the first count, which replaces the
  // token the second one counts for; the second count's state is carried to
  // the new token (it does not read the first count), not recomputed.
  World w;
  auto ao = w.b.alpha(w.office, {});
  auto ap = w.b.alpha(w.person, {});
  auto j1 = w.b.join(NetworkBuilder::root(), ao, {}, {});
  auto c1 = w.b.aggregate(j1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Count, {}, {});
  auto c2 = w.b.aggregate(c1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Sum, Operand::self(2), {});
  w.b.production(c2, 0, 0, 1);
  // A second chain whose lower aggregate reads the upper one's value (the
  // sum of ages above the count) is recomputed instead.
  auto c3 = w.b.aggregate(j1, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Count, {}, {});
  auto c4 = w.b.aggregate(c3, ap, {{Operand::at(0, 0), 1}}, {Test{TestOp::Gt, Operand::self(2), Operand::agg(1)}},
                          AggKind::Count, {}, {});
  w.b.production(c4, 1, 0, 1);
  Network net = w.b.finish(Strategy::Depth);
  CHECK(c3 == c1);  // the same count: one shared node
  CHECK(net.node(c2).reads_levels == 1U);  // level 0, the office
  CHECK(net.node(c4).reads_levels == 3U);  // the office and the count above
  Matcher m(net);
  add_office(m, w.office, 7);
  CHECK(m.stats().agg_recomputed == 3);  // the office's token arrives at each aggregate
  for (int i = 0; i < 50; ++i) add_person(m, w.person, i, 7, 20 + i);
  CHECK(m.stats().agg_carried == 50);     // c2, once per new count above it
  CHECK(m.stats().agg_recomputed == 53);  // c4, once per new count above it
  std::vector<double> latest(2, -1);
  for (std::int32_t a = m.pop(); a >= 0; a = m.pop())
    latest[static_cast<std::size_t>(m.activation(a).rule)] = m.level_value(m.activation(a).token, 2);
  CHECK(latest == std::vector<double>{50 * 20 + 49 * 50 / 2, 19});  // the sum of ages; ages 51 to 69
}

TEST_CASE("rete: sibling joins on the same key share one left memory; the matches and their order do not change",
          "[rete][sharing]") {
  // person(name, city, age) joined to site(city, kind) by city in three
  // rules, each with its own alpha test on the site's kind, under one shared
  // first node: the three joins read the same left operand, so they share
  // their left memory; a network with a `logical` rule does not share.
  // Both see the same facts come and go and must give the same activations,
  // in the same order, with the same facts.
  struct Run {
    std::vector<std::string> seen;
    std::uint64_t tokens = 0;
  };
  auto run = [](bool logical) {
    NetworkBuilder b;
    auto person = b.add_template({"person", {{"name", CellKind::Id}, {"city", CellKind::Id}, {"age", CellKind::Number}}});
    auto site = b.add_template({"site", {{"city", CellKind::Id}, {"kind", CellKind::Id}}});
    auto ap = b.alpha(person, {});
    auto j1 = b.join(NetworkBuilder::root(), ap, {}, {});
    for (int k = 0; k < 3; ++k) {
      auto as = b.alpha(site, {Test{TestOp::Eq, Operand::self(1), Operand::value(id_cell(k))}});
      auto j2 = b.join(j1, as, {{Operand::at(0, 1), 0}}, {});  // site.city is p.city
      b.production(j2, k, 0, 2, logical && k == 2);
    }
    Network net = b.finish(Strategy::Depth);
    Matcher m(net);
    Run r;
    auto drain_facts = [&] {
      for (std::int32_t a = m.pop(); a >= 0; a = m.pop()) {
        auto t = m.activation(a).token;
        r.seen.push_back(std::to_string(m.activation(a).rule) + ":" + std::to_string(m.cell(m.level_fact(t, 0), 0).id) +
                         "@" + std::to_string(m.level_fact(t, 1)));
      }
      r.seen.push_back("|");
    };
    std::vector<std::int32_t> people, sites;
    for (int i = 0; i < 12; ++i) {
      Cell c[3] = {id_cell(i), id_cell(i % 4), number_cell(30)};
      people.push_back(m.assert_fact(person, c));
    }
    for (int city = 0; city < 4; ++city)
      for (int kind = 0; kind < 3; ++kind) {
        Cell c[2] = {id_cell(city), id_cell((city + kind) % 3)};
        sites.push_back(m.assert_fact(site, c));
      }
    drain_facts();
    // A person changes city (retract and assert), a site goes, a person goes,
    // a new site comes: matches come and go through the shared memory.
    m.retract(people[5]);
    {
      Cell c[3] = {id_cell(5), id_cell(2), number_cell(31)};
      people[5] = m.assert_fact(person, c);
    }
    m.retract(sites[4]);
    m.retract(people[0]);
    {
      Cell c[2] = {id_cell(0), id_cell(2)};
      sites.push_back(m.assert_fact(site, c));
    }
    drain_facts();
    r.tokens = m.stats().tokens_made;
    return r;
  };
  Run shared = run(false), apart = run(true);
  CHECK(shared.seen == apart.seen);
  CHECK(shared.seen.size() > 20);
  CHECK(shared.tokens < apart.tokens);  // one token per person, not one per join
}

TEST_CASE("rete: a predicate over the tested fact alone is run once per fact until a global changes; the matches do not change",
          "[rete][predfact]") {
  // office(city) joined to person(name, city, age) by city, with a predicate
  // over the person and a global (age above a threshold the host holds, as
  // the engine's predicates read slots). As PredFact it is kept by fact; as
  // Pred it runs for every token that meets the person. Both networks see
  // the same facts and global changes and must give the same activations, in
  // the same order.
  struct Host final : PredicateHost {
    const Matcher* m = nullptr;
    double threshold = 30;
    int calls = 0;
    bool predicate(std::int64_t, const std::uint64_t*, std::int32_t self) override {
      ++calls;
      return m->cell(self, 2).num > threshold;
    }
  };
  struct Out {
    std::vector<std::string> seen;
    int calls = 0;
  };
  auto run = [](TestOp op) {
    World w;
    auto ao = w.b.alpha(w.office, {});
    auto ap = w.b.alpha(w.person, {});
    auto j1 = w.b.join(NetworkBuilder::root(), ao, {}, {});
    auto j2 = w.b.join(j1, ap, {{Operand::at(0, 0), 1}},
                       {Test{op, Operand::value(id_cell(0)), Operand::global(0)}});
    w.b.production(j2, 0, 0, 2);
    Network net = w.b.finish(Strategy::Depth);
    Matcher m(net);
    Host h;
    h.m = &m;
    m.set_predicate_host(&h);
    m.set_global(0, number_cell(30), false);
    Out o;
    auto drain_facts = [&] {
      for (std::int32_t a = m.pop(); a >= 0; a = m.pop()) {
        auto t = m.activation(a).token;
        o.seen.push_back(std::to_string(m.level_fact(t, 0)) + "+" + std::to_string(m.level_fact(t, 1)));
      }
      o.seen.push_back("|");
    };
    std::vector<std::int32_t> people, offices;
    for (int i = 0; i < 20; ++i) people.push_back(add_person(m, w.person, i, i % 3, 20 + i));
    for (int k = 0; k < 6; ++k) offices.push_back(add_office(m, w.office, k % 3));  // two offices a city
    drain_facts();
    h.threshold = 35;
    m.set_global(0, number_cell(35), false);
    drain_facts();
    m.retract(offices[1]);
    offices.push_back(add_office(m, w.office, 1));
    Cell ch[1] = {number_cell(50)};
    std::pair<std::int16_t, Cell> change{2, ch[0]};
    people[3] = m.modify(people[3], std::span(&change, 1));
    m.retract(people[10]);
    drain_facts();
    h.threshold = 10;
    m.set_global(0, number_cell(10), false);
    offices.push_back(add_office(m, w.office, 2));
    drain_facts();
    o.calls = h.calls;
    return o;
  };
  Out kept = run(TestOp::PredFact), each = run(TestOp::Pred);
  CHECK(kept.seen == each.seen);
  CHECK(kept.seen.size() > 30);
  CHECK(kept.calls < each.calls);
}

TEST_CASE("rete: a change keeps a `there is no` blocked when its copy blocks it again; the matches do not change",
          "[rete][change]") {
  // person(name, city, age) and office(city, floor, name): rules with `there
  // is no` (on the key alone, and with a test on the floor), `there is a`, an
  // aggregate, a join, one of them `logical` or not. The same changes are
  // made by modify (a retract_for_change and an assert) and by a retract and
  // an assert: the activations, in order, with their facts, must be equal,
  // and a firing's support must hold or go alike.
  auto run = [](bool by_modify, bool logical) {
    NetworkBuilder b;
    auto person = b.add_template({"person", {{"name", CellKind::Id}, {"city", CellKind::Id}, {"age", CellKind::Number}}});
    auto office = b.add_template({"office", {{"city", CellKind::Id}, {"floor", CellKind::Number}, {"name", CellKind::Id}}});
    auto ap = b.alpha(person, {});
    auto ao = b.alpha(office, {});
    auto high = b.alpha(office, {Test{TestOp::Gt, Operand::self(1), Operand::value(number_cell(2))}});
    auto jp = b.join(NetworkBuilder::root(), ap, {}, {});
    auto n0 = b.negative(jp, ao, {{Operand::at(0, 1), 0}}, {});
    b.production(n0, 0, 0, 2);
    auto n1 = b.negative(jp, ao, {{Operand::at(0, 1), 0}}, {Test{TestOp::Gt, Operand::self(1), Operand::value(number_cell(2))}});
    b.production(n1, 1, 0, 2, logical);
    auto e2 = b.exists(jp, high, {{Operand::at(0, 1), 0}}, {});
    b.production(e2, 2, 0, 2);
    auto jo = b.join(NetworkBuilder::root(), ao, {}, {});
    auto g3 = b.aggregate(jo, ap, {{Operand::at(0, 0), 1}}, {}, AggKind::Count, Operand{}, {});
    b.production(g3, 3, 0, 2);
    auto j4 = b.join(jp, ao, {{Operand::at(0, 1), 0}}, {});
    auto n4 = b.negative(j4, ap, {{Operand::at(1, 0), 1}}, {Test{TestOp::Ne, Operand::self(0), Operand::at(0, 0)}});
    b.production(n4, 4, 0, 2);
    Network net = b.finish(Strategy::Depth);
    Matcher m(net);
    std::vector<std::string> seen;
    auto drain_all = [&] {
      for (std::int32_t a = m.pop(); a >= 0; a = m.pop()) {
        const Activation act = m.activation(a);
        std::string s = std::to_string(act.rule) + ":";
        for (std::uint64_t x : m.levels(act.token)) s += std::to_string(x) + ",";
        seen.push_back(s);
        if (act.rule == 1 && logical) m.support(act.token, 0);  // person 0 holds while the match does
      }
      seen.push_back(std::string("| person0 ") + (m.fact(0).alive ? "alive" : "gone"));
    };
    auto change = [&](std::int32_t f, std::int16_t field, Cell c) {
      std::pair<std::int16_t, Cell> ch{field, c};
      if (by_modify) return m.modify(f, std::span(&ch, 1));
      const FactRec old = m.fact(f);
      std::size_t n = net.templates()[static_cast<std::size_t>(old.tmpl)].fields.size();
      std::vector<Cell> cells;
      for (std::size_t i = 0; i < n; ++i) cells.push_back(m.cell(f, static_cast<int>(i)));
      cells[static_cast<std::size_t>(field)] = c;
      m.retract(f);
      return m.assert_fact(old.tmpl, cells, old.missing & ~(std::uint64_t{1} << field));
    };
    std::vector<std::int32_t> people, offices;
    for (int i = 0; i < 9; ++i) {
      Cell c[3] = {id_cell(i), id_cell(i % 4), number_cell(20 + i)};
      people.push_back(m.assert_fact(person, c));
    }
    for (int k = 0; k < 5; ++k) {
      Cell c[3] = {id_cell(k % 3), number_cell(k), id_cell(100 + k)};
      offices.push_back(m.assert_fact(office, c));
    }
    drain_all();
    offices[0] = change(offices[0], 2, id_cell(200));  // the name: read by no node
    drain_all();
    offices[3] = change(offices[3], 1, number_cell(7));  // the floor: read by n1 and e2
    drain_all();
    offices[1] = change(offices[1], 0, id_cell(3));  // the city: every node's key
    offices[4] = change(offices[4], 2, id_cell(201));
    offices[2] = change(offices[2], 2, id_cell(202));
    drain_all();
    people[4] = change(people[4], 2, number_cell(40));  // a person's age: read by no node
    people[1] = change(people[1], 1, id_cell(2));
    offices[3] = change(offices[3], 1, number_cell(0));
    drain_all();
    m.retract(offices[0]);
    offices[1] = change(offices[1], 2, id_cell(203));
    drain_all();
    return seen;
  };
  for (bool logical : {false, true}) {
    auto modified = run(true, logical), apart = run(false, logical);
    CHECK(modified == apart);
    CHECK(modified.size() > 20);
  }
}
