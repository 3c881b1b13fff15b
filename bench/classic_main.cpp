// The classic benchmarks (Manners, Waltz, WaltzDB; issue 13) in the Advise
// rule language: loads a rules file and a CLIPS facts file, evaluates with an
// empty applicant, and prints what ../shared/bench/expected/ holds.
//
//   build/bench/classic_main RULES CASE.fct [--answer]
//
// Standard output: `TOTAL N` then one `rule count` line per rule that fired,
// sorted by name (the format of expected/CASE.rules); with --answer, the
// answer in the format of expected/CASE.answer, which the program is told by
// its templates:
//   - `path` (Manners): `SEAT seat name`, one line per firing of
//     print_results (the path fact it removes), sorted by seat;
//   - `edge_label` (WaltzDB): `EDGE_LABEL p1 p2 label id` for every
//     edge_label fact left (label l_name, id l_id), sorted by p1, p2, id;
//   - `edge` (Waltz): `EDGE p1 p2 label` for every edge fact left (label
//     `nil` when unknown), sorted by p1, p2.
// Standard error: `run-phase S s` (CPU seconds of the evaluation: asserting
// the facts and running to quiescence) and `peak-rss K KiB` (the whole process).
// Exit 0, 1 when the evaluation stopped at a limit, 2 on bad input.
#include <sys/resource.h>

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "dsl/checker.hpp"
#include "engine/engine.hpp"
#include "engine/render.hpp"
#include "kb/facts.hpp"
#include "kb/knowledge_base.hpp"
#include "kb/profile.hpp"

using namespace advise;

namespace {

// A number as CLIPS prints an integer; anything else as Advise displays it.
std::string text(const KnowledgeBase& kb, const Value& v) {
  if (v.is_missing()) return "nil";
  if (v.kind == Value::Kind::Number) return format_number(v.num);
  return kb.display(v);
}

double num(const Value& v) { return v.kind == Value::Kind::Number ? v.num : -1; }

int field(const TemplateDef& t, const char* name) {
  int f = t.field_index(name);
  if (f < 0) {
    std::cerr << "classic_main: template `" << t.name << "` has no field `" << name << "`\n";
    std::exit(2);
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool answer = std::find(args.begin(), args.end(), "--answer") != args.end();
  args.erase(std::remove(args.begin(), args.end(), "--answer"), args.end());
  if (args.size() != 2) {
    std::cerr << "usage: classic_main RULES CASE.fct [--answer]\n";
    return 2;
  }
  std::vector<DataError> errors;
  auto kbv = load_knowledge_base(std::string(ADVISE_SOURCE_DIR) + "/kb", errors);
  if (!kbv) {
    for (const DataError& e : errors) std::cerr << e.text() << "\n";
    return 2;
  }
  auto kb = std::make_shared<const KnowledgeBase>(std::move(*kbv));
  auto sources = std::make_shared<SourceManager>();
  Diagnostics diags;
  auto rs = load_rule_set({args[0]}, kb, sources, diags);
  if (!rs) {
    std::cerr << render_text(*sources, diags);
    return 2;
  }
  auto rules = std::make_shared<const RuleSet>(std::move(*rs));
  const KnowledgeBase& rkb = *rules->kb;

  std::vector<FactRecord> facts;
  TemplateSet templates{rules->templates};
  // `stage` names a profile field of the knowledge base, so a template may not
  // take that name: Waltz and WaltzDB declare `phase`, and their `stage`
  // facts are read as `phase` facts.
  std::ifstream in(args[1], std::ios::binary);
  if (!in) {
    std::cerr << args[1] << ": error: cannot read the file\n";
    return 2;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  std::string fct = buf.str();
  if (templates.find("stage") < 0 && templates.find("phase") >= 0) {
    for (std::size_t at = 0; (at = fct.find("(stage ", at)) != std::string::npos; at += 7) {
      if (at == 0 || fct[at - 1] == '\n') fct.replace(at, 7, "(phase ");
    }
  }
  if (!read_facts_clips(fct, args[1], rkb, templates, facts, errors)) {
    for (const DataError& e : errors) std::cerr << e.text() << "\n";
    return 2;
  }

  Profile profile;
  profile.source = "classic";
  profile.kb = kb.get();
  profile.values.assign(kb->fields.size(), Value{});

  Engine engine(rules);
  EngineOptions eo;
  eo.facts = &facts;
  auto cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  };
  double t0 = cpu();
  Result result = engine.evaluate(profile, eo);
  double seconds = cpu() - t0;
  struct rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::fprintf(stderr, "run-phase %.3f s\npeak-rss %ld KiB\n", seconds, ru.ru_maxrss);
  if (result.runaway) std::cerr << "classic_main: " << result.runaway->message << "\n";

  std::ostringstream out;
  if (!answer) {
    std::map<std::string, std::size_t> counts;
    for (const Firing& f : result.firings) ++counts[std::string(rules->rules.at(static_cast<std::size_t>(f.rule)).name())];
    out << "TOTAL " << result.firings.size() << "\n";
    for (const auto& [name, n] : counts) out << name << " " << n << "\n";
  } else if (int path = templates.find("path"); path >= 0) {
    const TemplateDef& t = rules->templates[static_cast<std::size_t>(path)];
    int seat = field(t, "seat"), name = field(t, "name");
    const CRule* print = rules->find_rule("print_results");
    std::vector<std::pair<double, std::string>> seats;
    for (const Firing& f : result.firings) {
      if (print == nullptr || &rules->rules.at(static_cast<std::size_t>(f.rule)) != print) continue;
      const Record& r = result.records.at(static_cast<std::size_t>(f.matched.back()));
      seats.emplace_back(num(r.values[static_cast<std::size_t>(seat)]),
                         text(rkb, r.values[static_cast<std::size_t>(name)]));
    }
    std::sort(seats.begin(), seats.end());
    for (const auto& [s, n] : seats) out << "SEAT " << format_number(s) << " " << n << "\n";
  } else {
    int el = templates.find("edge_label");
    bool db = el >= 0;
    int tmpl = db ? el : templates.find("edge");
    if (tmpl < 0) {
      std::cerr << "classic_main: the rules have no template `path`, `edge` or `edge_label`: no answer to print\n";
      return 2;
    }
    const TemplateDef& t = rules->templates[static_cast<std::size_t>(tmpl)];
    auto at = [](const Record& r, int f) -> const Value& { return r.values[static_cast<std::size_t>(f)]; };
    int p1 = field(t, "p1"), p2 = field(t, "p2"), label = field(t, db ? "l_name" : "label");
    int id = db ? field(t, "l_id") : -1;
    std::vector<std::tuple<double, double, double, std::string>> lines;
    for (const Record& r : result.records) {
      if (r.tmpl != tmpl || r.ended_by >= 0) continue;
      lines.emplace_back(num(at(r, p1)), num(at(r, p2)), db ? num(at(r, id)) : 0, text(rkb, at(r, label)));
    }
    std::sort(lines.begin(), lines.end());
    for (const auto& [a, b, i, l] : lines) {
      out << (db ? "EDGE_LABEL " : "EDGE ") << format_number(a) << " " << format_number(b) << " " << l;
      if (db) out << " " << format_number(i);
      out << "\n";
    }
  }
  std::cout << out.str();
  return result.runaway ? 1 : 0;
}
