// Manners on the bare Rete core (engine/rete.hpp), built by hand with the
// NetworkBuilder API: a measure of the matcher alone, before the rule
// language compiles to it (bench/classic/ will hold the .rules version).
//
//   build/bench/rete_manners ../shared/bench/data/manners_64.fct [--answer] [--order file|reverse]
//
// Prints `TOTAL N` and one `rule count` line per rule, sorted by name (the
// format of ../shared/bench/expected/CASE.rules); run-phase time and token
// figures on standard error.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/bench_util.hpp"
#include "engine/rete.hpp"

using namespace advise::rete;

namespace {

struct Symbols {
  std::unordered_map<std::string, std::int64_t> ids;
  std::vector<std::string> names;
  std::int64_t intern(const std::string& s) {
    auto [it, fresh] = ids.try_emplace(s, static_cast<std::int64_t>(names.size()));
    if (fresh) names.push_back(s);
    return it->second;
  }
};

enum T { Guest, LastSeat, Count, Context, Seating, Path, Chosen };
enum R { AssignFirstSeat, FindSeating, MakePath, PathDone, AreWeDone, Continue, PrintResults, AllDone, NRules };
const char* kRuleNames[NRules] = {"assign_first_seat", "find_seating", "make_path", "path_done",
                                  "are_we_done",       "continue",     "print_results", "all_done"};

// seating fields
enum { S_seat1, S_name1, S_name2, S_seat2, S_id, S_pid, S_done };

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: rete_manners CASE.fct [--answer] [--order file|reverse]\n";
    return 2;
  }
  bool answer = false, reverse = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--answer") answer = true;
    if (a == "--order" && i + 1 < argc) reverse = std::string(argv[++i]) == "reverse";
  }
  Symbols sym;
  auto S = [&](const char* s) { return id_cell(sym.intern(s)); };
  auto N = [](double d) { return number_cell(d); };

  NetworkBuilder b;
  std::map<std::string, std::int32_t> tmpl;
  auto tdef = [&](const char* name, std::vector<FieldDesc> f) {
    tmpl[name] = b.add_template({name, std::move(f)});
  };
  const CellKind I = CellKind::Id, U = CellKind::Number;
  tdef("guest", {{"name", I}, {"sex", I}, {"hobby", I}});
  tdef("last_seat", {{"seat", U}});
  tdef("count", {{"c", U}});
  tdef("context", {{"state", I}});
  tdef("seating", {{"seat1", U}, {"name1", I}, {"name2", I}, {"seat2", U}, {"id", U}, {"pid", U}, {"path_done", I}});
  tdef("path", {{"id", U}, {"name", I}, {"seat", U}});
  tdef("chosen", {{"id", U}, {"name", I}, {"hobby", I}});

  auto eq = [](Operand a, Operand c) { return Test{TestOp::Eq, a, c}; };
  auto ctx = [&](const char* state) { return b.alpha(Context, {eq(Operand::self(0), Operand::value(S(state)))}); };
  const auto root = NetworkBuilder::root();
  std::vector<std::function<void()>> build(NRules);
  build[AssignFirstSeat] = [&] {
    // context(start), guest g, count n
    auto j = b.join(root, ctx("start"), {}, {});
    j = b.join(j, b.alpha(Guest, {}), {}, {});
    j = b.join(j, b.alpha(Count, {}), {}, {});
    b.production(j, AssignFirstSeat, 0, 3);
  };
  build[FindSeating] = [&] {
    // 0 context(assign_seats), 1 seating s (path_done yes), 2 guest g1 (name = s.name2),
    // 3 guest g2 (sex != g1.sex, hobby = g1.hobby), 4 count n,
    // not path(id = s.id, name = g2.name), not chosen(id = s.id, name = g2.name, hobby = g1.hobby)
    auto j = b.join(root, ctx("assign_seats"), {}, {});
    j = b.join(j, b.alpha(Seating, {eq(Operand::self(S_done), Operand::value(S("yes")))}), {}, {});
    j = b.join(j, b.alpha(Guest, {}), {{Operand::at(1, S_name2), 0}}, {});
    j = b.join(j, b.alpha(Guest, {}), {{Operand::at(2, 2), 2}}, {{TestOp::Ne, Operand::self(1), Operand::at(2, 1)}});
    j = b.join(j, b.alpha(Count, {}), {}, {});
    j = b.negative(j, b.alpha(Path, {}), {{Operand::at(1, S_id), 0}, {Operand::at(3, 0), 1}}, {});
    j = b.negative(j, b.alpha(Chosen, {}), {{Operand::at(1, S_id), 0}, {Operand::at(3, 0), 1}, {Operand::at(2, 2), 2}}, {});
    b.production(j, FindSeating, 0, 7);
  };
  build[MakePath] = [&] {
    // context(make_path), seating s (path_done no), path p (id = s.pid), not path(id = s.id, name = p.name)
    auto j = b.join(root, ctx("make_path"), {}, {});
    j = b.join(j, b.alpha(Seating, {eq(Operand::self(S_done), Operand::value(S("no")))}), {}, {});
    j = b.join(j, b.alpha(Path, {}), {{Operand::at(1, S_pid), 0}}, {});
    j = b.negative(j, b.alpha(Path, {}), {{Operand::at(1, S_id), 0}, {Operand::at(2, 1), 1}}, {});
    b.production(j, MakePath, 0, 4);
  };
  build[PathDone] = [&] {
    auto j = b.join(root, ctx("make_path"), {}, {});
    j = b.join(j, b.alpha(Seating, {eq(Operand::self(S_done), Operand::value(S("no")))}), {}, {});
    b.production(j, PathDone, 0, 2);
  };
  build[AreWeDone] = [&] {
    // context(check_done), last_seat l, seating s (seat2 = l.seat)
    auto j = b.join(root, ctx("check_done"), {}, {});
    j = b.join(j, b.alpha(LastSeat, {}), {}, {});
    j = b.join(j, b.alpha(Seating, {}), {{Operand::at(1, 0), S_seat2}}, {});
    b.production(j, AreWeDone, 0, 3);
  };
  build[Continue] = [&] {
    auto j = b.join(root, ctx("check_done"), {}, {});
    b.production(j, Continue, 0, 1);
  };
  build[PrintResults] = [&] {
    // context(print_results), seating s, last_seat l (seat = s.seat2), path p (id = s.id)
    auto j = b.join(root, ctx("print_results"), {}, {});
    j = b.join(j, b.alpha(Seating, {}), {}, {});
    j = b.join(j, b.alpha(LastSeat, {}), {{Operand::at(1, S_seat2), 0}}, {});
    j = b.join(j, b.alpha(Path, {}), {{Operand::at(1, S_id), 0}}, {});
    b.production(j, PrintResults, 0, 4);
  };
  build[AllDone] = [&] {
    auto j = b.join(root, ctx("print_results"), {}, {});
    b.production(j, AllDone, 0, 1);
  };
  if (reverse)
    for (int r = NRules - 1; r >= 0; --r) build[static_cast<std::size_t>(r)]();
  else
    for (int r = 0; r < NRules; ++r) build[static_cast<std::size_t>(r)]();
  Network net = b.finish(Strategy::Depth);

  // Facts: `(template (slot value) ...)` per line.
  std::ifstream in(argv[1]);
  if (!in) {
    std::cerr << "rete_manners: cannot open " << argv[1] << "\n";
    return 2;
  }
  struct Pending {
    std::int32_t t;
    std::vector<Cell> cells;
  };
  std::vector<Pending> initial;
  std::string line;
  while (std::getline(in, line)) {
    std::string s;
    for (char c : line) s += (c == '(' || c == ')') ? ' ' : c;
    std::istringstream ws(s);
    std::string name, slot, val;
    if (!(ws >> name)) continue;
    std::int32_t t = tmpl.at(name);
    const auto& fields = net.templates()[static_cast<std::size_t>(t)].fields;
    std::vector<Cell> cells(fields.size(), Cell{});
    while (ws >> slot >> val) {
      for (std::size_t f = 0; f < fields.size(); ++f)
        if (fields[f].name == slot)
          cells[f] = fields[f].kind == CellKind::Number ? N(std::stod(val)) : S(val.c_str());
    }
    initial.push_back({t, std::move(cells)});
  }

  double t0 = advise::bench::now_seconds();
  Matcher m(net);
  for (auto& p : initial) m.assert_fact(p.t, p.cells);
  std::vector<long> fired(NRules, 0);
  long total = 0;
  std::vector<std::pair<long, std::string>> seats;
  const Cell yes = S("yes"), no = S("no");
  bool halt = false;
  while (!halt && total < 1000000) {
    std::int32_t a = m.pop();
    if (a < 0) break;
    const Activation act = m.activation(a);
    std::int32_t tok = act.token;
    ++fired[static_cast<std::size_t>(act.rule)];
    if (std::getenv("TRACE") && total < 60) {
      std::fprintf(stderr, "FIRE %s t%llu:", kRuleNames[act.rule], static_cast<unsigned long long>(act.timetag));
      for (auto l : m.levels(tok)) std::fprintf(stderr, " f%llu", static_cast<unsigned long long>(l));
      std::fprintf(stderr, "\n");
    }
    ++total;
    auto F = [&](int level) { return m.level_fact(tok, level); };
    auto C = [&](int level, int field) { return m.cell(F(level), field); };
    switch (act.rule) {
      case AssignFirstSeat: {
        Cell name = C(1, 0);
        double c = C(2, 0).num;
        Cell seat[7] = {N(1), name, name, N(1), N(c), N(0), yes};
        Cell path[3] = {N(c), name, N(1)};
        std::int32_t ctxf = F(0), cnt = F(2);
        m.assert_fact(Seating, seat);
        m.assert_fact(Path, path);
        std::pair<std::int16_t, Cell> ch1[] = {{0, N(c + 1)}};
        m.modify(cnt, ch1);
        std::pair<std::int16_t, Cell> ch2[] = {{0, S("assign_seats")}};
        m.modify(ctxf, ch2);
        break;
      }
      case FindSeating: {
        double seat2 = C(1, S_seat2).num, id = C(1, S_id).num, c = C(4, 0).num;
        Cell n2 = C(1, S_name2), g2 = C(3, 0), h1 = C(2, 2);
        std::int32_t ctxf = F(0), cnt = F(4);
        Cell seat[7] = {N(seat2), n2, g2, N(seat2 + 1), N(c), N(id), no};
        Cell path[3] = {N(c), g2, N(seat2 + 1)};
        Cell chosen[3] = {N(id), g2, h1};
        m.assert_fact(Seating, seat);
        m.assert_fact(Path, path);
        m.assert_fact(Chosen, chosen);
        std::pair<std::int16_t, Cell> ch1[] = {{0, N(c + 1)}};
        m.modify(cnt, ch1);
        std::pair<std::int16_t, Cell> ch2[] = {{0, S("make_path")}};
        m.modify(ctxf, ch2);
        break;
      }
      case MakePath: {
        Cell path[3] = {C(1, S_id), C(2, 1), C(2, 2)};
        m.assert_fact(Path, path);
        break;
      }
      case PathDone: {
        std::int32_t ctxf = F(0), s = F(1);
        std::pair<std::int16_t, Cell> ch1[] = {{S_done, yes}};
        m.modify(s, ch1);
        std::pair<std::int16_t, Cell> ch2[] = {{0, S("check_done")}};
        m.modify(ctxf, ch2);
        break;
      }
      case AreWeDone: {
        std::pair<std::int16_t, Cell> ch[] = {{0, S("print_results")}};
        m.modify(F(0), ch);
        break;
      }
      case Continue: {
        std::pair<std::int16_t, Cell> ch[] = {{0, S("assign_seats")}};
        m.modify(F(0), ch);
        break;
      }
      case PrintResults: {
        seats.emplace_back(static_cast<long>(C(3, 2).num), sym.names[static_cast<std::size_t>(C(3, 1).id)]);
        m.retract(F(3));
        break;
      }
      case AllDone: halt = true; break;
    }
  }
  double t1 = advise::bench::now_seconds();
  if (answer) {
    std::sort(seats.begin(), seats.end());
    for (auto& [seat, name] : seats) std::cout << "SEAT " << seat << " " << name << "\n";
  } else {
    std::cout << "TOTAL " << total << "\n";
    std::vector<std::pair<std::string, long>> rows;
    for (int r = 0; r < NRules; ++r) rows.emplace_back(kRuleNames[r], fired[static_cast<std::size_t>(r)]);
    std::sort(rows.begin(), rows.end());
    for (auto& [n, c] : rows) std::cout << n << " " << c << "\n";
  }
  std::fprintf(stderr, "run %.4f s, tokens made %llu, tests %llu, activations %llu, memory %zu KB\n", t1 - t0,
               static_cast<unsigned long long>(m.stats().tokens_made), static_cast<unsigned long long>(m.stats().tests),
               static_cast<unsigned long long>(m.stats().activations), m.memory_bytes() / 1024);
  return 0;
}
