// Running a case and explaining its failures (cases/run.hpp).
#include "cases/run.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <tuple>

#include "engine/explain.hpp"
#include "engine/program_list.hpp"
#include "engine/render_derivation.hpp"
#include "engine/working_memory.hpp"

namespace advise::cases {

namespace {

constexpr int kExplainDepth = 3;

// A fact an expectation reads: a slot, or one entry of a map slot.
struct Read {
  std::int32_t slot = -1;
  std::optional<Value> key;
  std::string label;
};

void collect_reads(const CExpr& e, const RuleSet& rules, std::vector<Read>& out) {
  auto add = [&](Read r) {
    for (const Read& x : out)
      if (x.slot == r.slot && x.key.has_value() == r.key.has_value() && (!x.key || *x.key == *r.key)) return;
    out.push_back(std::move(r));
  };
  if (e.op == Op::MapGet && e.kids[0].op == Op::Slot && e.kids[1].op == Op::Const) {
    add({e.kids[0].slot, *e.kids[1].constant,
         rules.slot_name(e.kids[0].slot) + "[" + source_value(*e.kids[1].constant, rules) + "]"});
    return;
  }
  if (e.op == Op::Slot) {
    add({e.slot, std::nullopt, rules.slot_name(e.slot)});
    return;
  }
  for (const CExpr& k : e.kids) collect_reads(k, rules, out);
}

Value read_value(const Result& r, const Read& rd) {
  const Value& v = r.value(rd.slot);
  if (!rd.key) return v;
  if (v.kind != Value::Kind::Map) return {};
  return v.map_get(*rd.key);
}

std::string actual_line(const Result& r, const RuleSet& rules, const Read& rd) {
  Value v = read_value(r, rd);
  if (!v.is_missing()) return rd.label + " = " + source_value(v, rules);
  if (rd.key || rules.is_conclusion(rd.slot)) return rd.label + " is missing";
  return rd.label + " is missing (not in the profile)";
}

// "`a`, `b` and `c`"
std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) s += i + 1 == names.size() ? " and " : ", ";
    s += "`" + names[i] + "`";
  }
  return s;
}

// The first failing tests of a rule that did not fire, on one line.
std::string failing_tests(const Result& r, const RuleSet& rules, std::int32_t rule) {
  FinalView fv(r);
  auto failed = condition_tests(rules, rules.rules[static_cast<std::size_t>(rule)].condition, fv, false);
  std::string s;
  for (std::size_t i = 0; i < failed.size(); ++i) s += (i ? "; " : "") + render_test(failed[i], rules, true);
  return s;
}

constexpr std::size_t kMaxCandidates = 8;

// The constants an expectation compares with (`strategy is dual`: dual).
void wanted_values(const CExpr& e, std::vector<Value>& out) {
  if (e.op == Op::Const) {
    if (e.constant->kind == Value::Kind::List)
      for (const Value& v : e.constant->list_items()) out.push_back(v);
    else if (!e.constant->is_missing())
      out.push_back(*e.constant);
    return;
  }
  for (const CExpr& k : e.kids) wanted_values(k, out);
}

// Orders the rules that could have set a fact and did not apply: first those
// that set a value the expectation wants (the rule whose change broke the
// case is among them), then by how near each came to applying (fewest
// failing tests), then in source order.
void rank_writers(const Result& r, const RuleSet& rules, std::int32_t slot, const std::vector<Value>& wanted,
                  std::vector<std::int32_t>& writers) {
  auto sets_wanted = [&](std::int32_t rule) {
    const CRule& cr = rules.rules[static_cast<std::size_t>(rule)];
    return std::any_of(cr.actions.begin(), cr.actions.end(), [&](const CAction& a) {
      if (a.slot != slot || a.value.op != Op::Const) return false;
      if (a.value.constant->kind == Value::Kind::List) {
        for (const Value& v : a.value.constant->list_items())
          if (std::find(wanted.begin(), wanted.end(), v) != wanted.end()) return true;
        return false;
      }
      return std::find(wanted.begin(), wanted.end(), *a.value.constant) != wanted.end();
    });
  };
  FinalView fv(r);
  std::vector<std::tuple<int, std::size_t, std::int32_t>> keyed;
  for (std::int32_t w : writers) {
    std::size_t failing =
        condition_tests(rules, rules.rules[static_cast<std::size_t>(w)].condition, fv, false).size();
    keyed.emplace_back(sets_wanted(w) ? 0 : 1, failing, w);
  }
  std::stable_sort(keyed.begin(), keyed.end());
  for (std::size_t i = 0; i < keyed.size(); ++i) writers[i] = std::get<2>(keyed[i]);
}

void explain_read(const Result& r, const RuleSet& rules, const Read& rd, std::set<std::int32_t>& shown,
                  std::vector<std::string>& out, const std::vector<Value>& wanted = {}) {
  if (!rules.is_conclusion(rd.slot)) return;
  std::int32_t v = WorkingMemory(r).version_of(rd.slot, rd.key ? &*rd.key : nullptr);
  if (v >= 0) {
    Derivation d = explain_version(r, v, kExplainDepth);
    if (rd.key) d.value = read_value(r, rd);  // the entry, not the whole map
    render_derivation(d, rules, rd.label, 2, kExplainDepth, out, &shown);
    return;
  }
  // Missing: the rules that could have set it, and why each did not.
  std::vector<std::int32_t> writers, fired;
  for (const CRule& cr : rules.rules) {
    bool writes = std::any_of(cr.actions.begin(), cr.actions.end(), [&](const CAction& a) {
      if ((a.kind != ast::ActionKind::Set && a.kind != ast::ActionKind::Add) || a.slot != rd.slot) return false;
      // For one entry of a map: the rules that set that entry, or an entry they compute.
      return !rd.key || !a.indexed || a.key().op != Op::Const || *a.key().constant == *rd.key;
    });
    if (writes) (r.fired(cr.index) ? fired : writers).push_back(cr.index);
  }
  if (writers.empty() && fired.empty()) {
    out.push_back("  no rule sets " + rules.slot_name(rd.slot));
    return;
  }
  rank_writers(r, rules, rd.slot, wanted, writers);
  if (!writers.empty()) out.push_back("  no rule that sets " + rd.label + " applied:");
  for (std::size_t i = 0; i < writers.size() && i < kMaxCandidates; ++i)
    out.push_back("    " + render_rule(rule_ref(rules, writers[i])) + ": " + failing_tests(r, rules, writers[i]));
  if (writers.size() > kMaxCandidates)
    out.push_back("    and " + std::to_string(writers.size() - kMaxCandidates) + " more");
  if (!fired.empty() && rd.key) {
    std::vector<std::string> names;
    for (std::int32_t f : fired) names.push_back(std::string(rules.rules[static_cast<std::size_t>(f)].name()));
    out.push_back("  " + join_names(names) + (fired.size() == 1 ? " fired but sets" : " fired but set") +
                  " other entries of " + rules.slot_name(rd.slot));
  }
}

bool is_true(const Value& v) { return v.kind == Value::Kind::Bool && v.flag; }

std::string text_of(const RuleSet& rules, const ast::Loc& loc) { return std::string(rules.text_of(loc)); }

// The rewritten body of a failing condition, when the actual outcome can be
// written as an expectation of the same form; nothing otherwise.
std::optional<std::string> rewrite_condition(const CompiledExpectation& ce, const Result& r, const RuleSet& rules) {
  const ast::Expr& a = ce.source->condition;
  const CExpr& c = ce.condition;
  const KnowledgeBase& kb = *rules.kb;
  FinalView fv(r);
  auto writable = [](const Value& v) { return v.kind != Value::Kind::Map && v.kind != Value::Kind::Text; };
  auto value_of = [&](const CExpr& e) { return evaluate_expr(e, fv, kb); };
  const std::string& file = [&]() -> const std::string& { return rules.sources->text(a.loc.file); }();
  auto src = [&](const ast::Expr& e) { return file.substr(e.loc.begin, e.loc.end - e.loc.begin); };
  // The text between two operands, as written (keeps `is` against `==`).
  auto between = [&](const ast::Expr& l, const ast::Expr& rr) { return file.substr(l.loc.end, rr.loc.begin - l.loc.end); };
  switch (c.op) {
    case Op::Eq: {
      if (a.kind != ast::ExprKind::Compare || a.kids.size() != 2) return std::nullopt;
      int fact = c.kids[1].op == Op::Const && c.kids[0].op != Op::Const ? 0
               : c.kids[0].op == Op::Const && c.kids[1].op != Op::Const ? 1
                                                                       : -1;
      if (fact < 0) return std::nullopt;
      Value v = value_of(c.kids[static_cast<std::size_t>(fact)]);
      const ast::Expr& fa = a.kids[static_cast<std::size_t>(fact)];
      if (v.is_missing()) return src(fa) + " is missing";
      if (!writable(v)) return std::nullopt;
      return fact == 0 ? src(a.kids[0]) + between(a.kids[0], a.kids[1]) + source_value(v, rules)
                       : source_value(v, rules) + between(a.kids[0], a.kids[1]) + src(a.kids[1]);
    }
    case Op::Ne: {
      if (a.kind != ast::ExprKind::Compare || a.kids.size() != 2) return std::nullopt;
      Value l = value_of(c.kids[0]), rv = value_of(c.kids[1]);
      if (l.is_missing() && c.kids[0].op != Op::Const) return src(a.kids[0]) + " is missing";
      if (l.is_missing() || rv.is_missing()) return std::nullopt;
      return src(a.kids[0]) + " == " + src(a.kids[1]);  // they are equal
    }
    case Op::IsMissing: {
      Value v = value_of(c.kids[0]);
      if (v.is_missing() || !writable(v)) return std::nullopt;
      return src(a.kids[0]) + " == " + source_value(v, rules);
    }
    case Op::IsPresent: return src(a.kids[0]) + " is missing";
    case Op::Contains:
    case Op::NotContains:
    case Op::In:
    case Op::NotIn: {
      bool contains = c.op == Op::Contains || c.op == Op::NotContains;
      const CExpr& coll = contains ? c.kids[0] : c.kids[1];
      const ast::Expr& coll_a = contains ? a.kids[0] : a.kids[1];
      Value cv = value_of(coll), item = value_of(contains ? c.kids[1] : c.kids[0]);
      if (cv.is_missing()) {
        if (coll.op == Op::Const) return std::nullopt;
        return src(coll_a) + " is missing";
      }
      if (item.is_missing()) return std::nullopt;
      bool negated = c.op == Op::NotContains || c.op == Op::NotIn;
      std::string op = std::string(negated ? "" : "not ") + (contains ? "contains" : "in");
      return src(a.kids[0]) + " " + op + " " + src(a.kids[1]);
    }
    default: return std::nullopt;
  }
}

std::string conflict_text(const Result& r, const Conflict& cf) {
  const RuleSet& rules = *r.rules;
  std::string name = rules.slot_name(cf.slot);
  if (!cf.key.is_missing()) name += "[" + source_value(cf.key, rules) + "]";
  RuleRef kept = rule_ref(rules, r.firings[static_cast<std::size_t>(cf.kept_firing)].rule);
  RuleRef rejected = rule_ref(rules, r.firings[static_cast<std::size_t>(cf.rejected_firing)].rule);
  return "the rules conflict: " + render_rule(kept) + " sets " + name + " = " + source_value(cf.kept, rules) +
         " and " + render_rule(rejected) + " sets " + source_value(cf.rejected, rules) + ", at the same priority";
}

// Why the rules in `candidates` did not fire: the first failing tests of
// each, on the final facts, and how the conclusions those tests read got
// their values.
void why_not_lines(const Result& r, const RuleSet& rules, const std::vector<std::int32_t>& candidates,
                   const std::string& intro, std::set<std::int32_t>& shown, std::vector<std::string>& out) {
  FinalView fv(r);
  for (std::int32_t rule : candidates) {
    if (r.fired(rule)) continue;
    out.push_back("  " + (intro.empty() ? std::string("its condition") : intro + render_rule(rule_ref(rules, rule)) + ", but its condition") +
                  " does not hold:");
    auto failed = condition_tests(rules, rules.rules[static_cast<std::size_t>(rule)].condition, fv, false);
    std::vector<std::int32_t> seen;
    for (const TestRecord& t : failed) out.push_back("    " + render_test(t, rules, true));
    for (const TestRecord& t : failed)
      for (const FactValue& f : t.facts) {
        if (!rules.is_conclusion(f.slot()) || std::count(seen.begin(), seen.end(), f.slot())) continue;
        seen.push_back(f.slot());
        std::int32_t v = WorkingMemory(r).current_version(f.slot());
        if (v < 0) continue;  // "is missing" is in the test already
        render_derivation(explain_version(r, v, 2), rules, f.name, 4, 2, out, &shown);
      }
  }
}

void held_lines(const Result& r, const RuleSet& rules, std::int32_t firing, std::vector<std::string>& out) {
  const Firing& f = r.firings[static_cast<std::size_t>(firing)];
  SnapshotView view(r, f);
  auto tests = condition_tests(rules, rules.rules[static_cast<std::size_t>(f.rule)].condition, view, true);
  if (tests.empty()) return;
  out.push_back("  its condition held:");
  for (const TestRecord& t : tests) out.push_back("    " + render_test(t, rules, false));
}

}  // namespace

CaseResult run_case(const CompiledCase& test, const Engine& engine, Result& result) {
  const RuleSet& rules = engine.rules();
  const SourceManager& sm = *rules.sources;
  EngineOptions eo;
  eo.facts = test.facts.get();
  result = engine.evaluate(test.profile, eo);
  std::optional<ProgramList> list;  // built at the first `expect program`
  CaseResult cr;
  cr.test = &test;
  cr.where = test.file_name + ":" + std::to_string(sm.line_col(test.source->loc.file, test.source->loc.begin).line);
  cr.expectations = test.expectations.size();
  if (result.runaway) cr.problems.push_back("the rules ran away: " + result.runaway->message);
  for (const Conflict& cf : result.conflicts)
    if (cf.error) cr.problems.push_back(conflict_text(result, cf));
  FinalView fv(result);
  std::set<std::int32_t> shown;  // firings explained already in this case's report
  for (const CompiledExpectation& ce : test.expectations) {
    const Expectation& x = *ce.source;
    ExpectationFailure f;
    f.expectation = &x;
    bool ok = true;
    switch (x.kind) {
      case ExpectKind::Program: {
        if (!list) list = build_program_list(result);
        const ProgramEntry* e = nullptr;
        if (list)
          for (const ProgramEntry& p : list->entries)
            if (p.program_id == x.id.name) e = &p;
        // The program's place, in the words of the expectation.
        std::string actual;
        if (!e) {
          actual = "unlisted";
        } else {
          actual = e->tier + " " + (e->signal.empty() ? std::string("unsignalled") : e->signal);
          if (e->contingency) actual += " contingency";
        }
        std::vector<std::string> have;
        for (std::size_t a = 0, b; a < actual.size(); a = b + 1) {
          b = actual.find(' ', a);
          if (b == std::string::npos) b = actual.size();
          have.push_back(actual.substr(a, b - a));
        }
        for (const ast::Ident& w : x.words)
          if (std::find(have.begin(), have.end(), w.name) == have.end()) ok = false;
        if (ok) break;
        f.actual.push_back("program " + x.id.name + " is " + actual);
        if (e)
          for (const ProgramReason& r : e->reasons)
            f.explanation.push_back(r.description + (r.values.empty() ? "" : ": " + r.values) + " (rule `" + r.name +
                                    "`, " + r.source + ")");
        f.update = Edit{x.body, "program " + x.id.name + " " + actual};
        break;
      }
      case ExpectKind::Condition: {
        ok = is_true(evaluate_expr(ce.condition, fv, *rules.kb));
        if (ok) break;
        std::vector<Read> reads;
        collect_reads(ce.condition, rules, reads);
        for (const Read& rd : reads) f.actual.push_back(actual_line(result, rules, rd));
        std::vector<Value> wanted;
        wanted_values(ce.condition, wanted);
        for (const Read& rd : reads) explain_read(result, rules, rd, shown, f.explanation, wanted);
        if (auto body = rewrite_condition(ce, result, rules)) f.update = Edit{x.body, *body};
        break;
      }
      case ExpectKind::Recommended: {
        const Recommendation* rec = result.recommendation(x.id.name);
        ok = (rec != nullptr) != x.negated;
        if (ok) break;
        if (rec) {
          std::string by = "`" + x.id.name + "` was recommended by " + render_rule(rule_ref(rules, rec->rule));
          for (std::int32_t a : rec->also_by) by += " and by " + render_rule(rule_ref(rules, a));
          f.actual.push_back(by);
          held_lines(result, rules, rec->firing, f.explanation);
        } else {
          f.actual.push_back("`" + x.id.name + "` was not recommended");
          std::vector<std::int32_t> cands;
          for (const CRule& c : rules.rules)
            if (std::any_of(c.actions.begin(), c.actions.end(), [&](const CAction& a) {
                  return a.kind == ast::ActionKind::Recommend && a.id() == x.id.name;
                }))
              cands.push_back(c.index);
          why_not_lines(result, rules, cands, "it is recommended by ", shown, f.explanation);
        }
        f.update = Edit{x.body, std::string(x.negated ? "" : "not ") + "recommended " + x.id.name};
        break;
      }
      case ExpectKind::Fired: {
        bool fired = result.fired(ce.rule);
        ok = fired != x.negated;
        if (ok) break;
        if (fired) {
          auto firings = result.firings_of(ce.rule);
          f.actual.push_back(render_rule(rule_ref(rules, ce.rule)) + " fired");
          held_lines(result, rules, firings.front(), f.explanation);
        } else {
          f.actual.push_back(render_rule(rule_ref(rules, ce.rule)) + " did not fire");
          why_not_lines(result, rules, {ce.rule}, "", shown, f.explanation);
        }
        f.update = Edit{x.body, std::string(x.negated ? "" : "not ") + "fired " + x.id.name};
        break;
      }
      case ExpectKind::ExplainedBy: {
        Read rd;
        if (ce.subject.op == Op::MapGet) {
          rd = {ce.subject.kids[0].slot, *ce.subject.kids[1].constant,
                rules.slot_name(ce.subject.kids[0].slot) + "[" + source_value(*ce.subject.kids[1].constant, rules) + "]"};
        } else {
          rd = {ce.subject.slot, std::nullopt, rules.slot_name(ce.subject.slot)};
        }
        std::int32_t v = WorkingMemory(result).version_of(rd.slot, rd.key ? &*rd.key : nullptr);
        std::string subject_text = text_of(rules, x.condition.loc);
        if (v < 0) {
          ok = false;
          f.actual.push_back(actual_line(result, rules, rd) + ", so nothing explains it");
          explain_read(result, rules, rd, shown, f.explanation);
          f.update = Edit{x.body, subject_text + " is missing"};
          break;
        }
        Derivation d = explain_version(result, v, 64);
        ok = mentions_rule(d, ce.rule);
        if (ok) break;
        std::vector<std::string> names;
        std::function<void(const Derivation&)> collect = [&](const Derivation& n) {
          if (n.kind != Derivation::Kind::Derived) return;
          auto add = [&](std::string_view s) {
            if (std::find(names.begin(), names.end(), s) == names.end()) names.emplace_back(s);
          };
          add(n.rule.name());
          for (const RuleRef& a : n.also) add(a.name());
          for (const Derivation& p : n.premises) collect(p);
        };
        collect(d);
        f.actual.push_back(actual_line(result, rules, rd) + ", explained by " + join_names(names) + ", not by `" +
                           x.id.name + "`");
        explain_read(result, rules, rd, shown, f.explanation);
        f.update = Edit{x.id.loc, std::string(d.rule.name())};
        break;
      }
    }
    if (ok) continue;
    f.where = test.file_name + ":" + std::to_string(sm.line_col(x.loc.file, x.loc.begin).line);
    f.expected = "expect " + text_of(rules, x.body);
    if (f.update) {
      const std::string& file = sm.text(x.loc.file);
      std::string body = file.substr(x.body.begin, x.body.end - x.body.begin);
      std::size_t off = f.update->span.begin - x.body.begin;
      body.replace(off, f.update->span.end - f.update->span.begin, f.update->text);
      f.updated = "expect " + body;
    }
    cr.failures.push_back(std::move(f));
  }
  return cr;
}

std::string apply_edits(const std::string& text, std::vector<Edit> edits) {
  std::sort(edits.begin(), edits.end(), [](const Edit& a, const Edit& b) { return a.span.begin < b.span.begin; });
  std::string out;
  std::size_t pos = 0;
  for (const Edit& e : edits) {
    if (e.span.begin < pos || e.span.end > text.size()) continue;  // overlapping or stale: skip
    out.append(text, pos, e.span.begin - pos);
    out += e.text;
    pos = e.span.end;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

}  // namespace advise::cases
