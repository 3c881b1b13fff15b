// Why not: for a conclusion's value, a conclusion, a recommendation or a
// rule, every rule that could produce it and what stopped it; and, for a fact
// of a template, what stopped each rule over that template.
#include <algorithm>
#include <cctype>
#include <set>

#include "engine/explain.hpp"
#include "engine/explain_internal.hpp"
#include "engine/working_memory.hpp"
#include "kb/suggest.hpp"

namespace advise {

using namespace explain_detail;

namespace explain_detail {

// Parses the value part of a why-not query for a conclusion of type `t`.
std::optional<Value> parse_query_value(const KnowledgeBase& kb, TypeId t, const std::string& text, std::string& error) {
  const TypeDesc& d = kb.types.at(t);
  if (d.kind == TypeKind::List || d.kind == TypeKind::Map) return parse_query_value(kb, d.elem == kNoType ? t : (d.kind == TypeKind::List ? d.elem : d.key), text, error);
  if (d.kind == TypeKind::Enum) {
    const EnumDef& e = kb.enums[static_cast<std::size_t>(d.enum_id)];
    int idx = e.find(text);
    if (idx < 0) {
      error = "`" + text + "` is not a " + e.name + " value";
      if (auto s = did_you_mean(text, e.values)) {
        error += "; did you mean `" + *s + "`?";
      } else {
        error += "; the values are ";
        for (std::size_t i = 0; i < e.values.size(); ++i)
          error += std::string(i == 0 ? "" : i + 1 == e.values.size() ? " and " : ", ") + "`" + e.values[i] + "`";
      }
      return std::nullopt;
    }
    return Value::symbol(d.enum_id, idx);
  }
  if (d.kind == TypeKind::Integer || d.kind == TypeKind::Number) {
    try {
      return Value::number(std::stod(text));
    } catch (...) {
      error = "`" + text + "` is not a number";
      return std::nullopt;
    }
  }
  if (d.kind == TypeKind::Boolean) {
    if (text == "true" || text == "false") return Value::boolean(text == "true");
    error = "write true or false";
    return std::nullopt;
  }
  return Value::string(text);
}

// Whether action `a` could produce `want` in conclusion `slot` (want Missing: any value).
bool could_produce(const CAction& a, std::int32_t slot, const Value& want, bool& certainly) {
  certainly = false;
  if ((a.kind != ast::ActionKind::Set && a.kind != ast::ActionKind::Add) || a.slot != slot) return false;
  if (want.is_missing()) {
    certainly = true;
    return true;
  }
  if (a.indexed) {
    // Map entries: the query names a key (applications=dermatology).
    if (a.key().op != Op::Const) return true;
    certainly = *a.key().constant == want;
    return certainly;
  }
  if (a.value.op != Op::Const) return true;  // computed: it might
  const Value& c = *a.value.constant;
  if (c == want) {
    certainly = true;
    return true;
  }
  if (c.kind == Value::Kind::List) {
    for (const Value& x : c.list_items())
      if (x == want) {
        certainly = true;
        return true;
      }
  }
  return false;
}

bool reached(const Value& have, const Value& want) {
  if (want.is_missing()) return !have.is_missing();
  if (have.kind == Value::Kind::List) {
    for (const Value& x : have.list_items())
      if (x == want) return true;
    return false;
  }
  if (have.kind == Value::Kind::Map) return !have.map_get(want).is_missing();
  return have == want;
}

}  // namespace explain_detail

std::optional<Goal> parse_goal(const RuleSet& rules, const std::string& query, std::string& error) {
  const KnowledgeBase& kb = *rules.kb;
  Goal g;
  g.query = query;
  std::string name = query, value_text;
  auto eq = query.find('=');
  if (eq != std::string::npos) {
    name = query.substr(0, eq);
    value_text = query.substr(eq + 1);
    if (!name.empty() && name.back() == '!') {
      name.pop_back();
      g.negated = true;
    }
  }
  // program=ID[:TIER], with a catalog's program-list rules.
  if (name == "program" && !g.negated && rules.conclusion_slot(name) < 0) {
    bool catalog = std::any_of(rules.templates.begin(), rules.templates.end(),
                               [](const TemplateDef& t) { return t.name == "listing"; });
    if (!catalog) {
      error = "a goal about a program needs its catalog: add `--catalog FILE`";
      return std::nullopt;
    }
    g.kind = Goal::Kind::Program;
    g.id = value_text;
    g.tier = "long_shot";
    auto colon = value_text.find(':');
    if (colon != std::string::npos) {
      g.id = value_text.substr(0, colon);
      g.tier = value_text.substr(colon + 1);
      static const std::vector<std::string> tiers{"anchor", "target", "reach", "long_shot"};
      if (std::find(tiers.begin(), tiers.end(), g.tier) == tiers.end()) {
        error = "`" + g.tier + "` is not a tier of the list (anchor target reach long_shot)";
        if (auto s = did_you_mean(g.tier, tiers)) error += "; did you mean `" + *s + "`?";
        return std::nullopt;
      }
    }
    if (g.id.empty()) {
      error = "name the program by its id: `program=0800390001`";
      return std::nullopt;
    }
    g.subject.text("program ").code(g.id);
    if (colon == std::string::npos)
      g.subject.text(" on the list");
    else
      g.subject.text(" on the list as ").value(tier_label(g.tier)).text(g.tier == "anchor" ? "" : " or better");
    return g;
  }
  std::int32_t slot = rules.conclusion_slot(name);
  if (slot >= 0) {
    g.kind = Goal::Kind::Conclusion;
    g.slot = slot;
    if (g.negated && value_text.empty()) {
      error = "`" + query + "` names no value; write `" + name + "!=VALUE` for a value the conclusion must not hold";
      return std::nullopt;
    }
    if (!value_text.empty()) {
      auto v = parse_query_value(kb, rules.slot_def(slot).type, value_text, error);
      if (!v) return std::nullopt;
      g.want = *v;
    }
    TypeKind k = kb.types.at(rules.slot_def(slot).type).kind;
    if (value_text.empty())
      g.subject.text("conclusion ").code(name);
    else if (!g.negated)
      g.subject.code(name).text(" = ").value(kb.display(g.want));
    else if (k == TypeKind::List || k == TypeKind::Map)
      g.subject.code(name).text(" without ").value(kb.display(g.want));
    else
      g.subject.code(name).text(" other than ").value(kb.display(g.want));
    return g;
  }
  if (g.negated) {
    error = "`!=` goes with a conclusion (`red_flags!=unexplained_gap`); no conclusion is called `" + name + "`";
    std::vector<std::string> conclusions;
    for (const auto& c : kb.conclusions) conclusions.push_back(c.name);
    if (auto s = did_you_mean(name, conclusions)) error += "; did you mean `" + *s + "`?";
    return std::nullopt;
  }
  for (const CRule& cr : rules.rules)
    for (const CAction& a : cr.actions)
      if (a.kind == ast::ActionKind::Recommend && a.id() == query) {
        g.kind = Goal::Kind::Recommendation;
        g.id = query;
        g.subject.text("recommendation ").code(query);
        return g;
      }
  if (const CRule* cr = rules.find_rule(query)) {
    g.kind = Goal::Kind::Rule;
    g.rule = cr->index;
    g.subject.text("rule ").code(query);
    return g;
  }
  std::vector<std::string> names;
  for (const auto& c : kb.conclusions) names.push_back(c.name);
  for (const CRule& cr : rules.rules) {
    names.push_back(std::string(cr.name()));
    for (const CAction& a : cr.actions)
      if (a.kind == ast::ActionKind::Recommend) names.push_back(a.id());
  }
  if (rules.field_slot(name) >= 0) {
    error = "`" + name + "` is a profile field, given by the applicant; ask about a conclusion, a recommendation or a rule";
    return std::nullopt;
  }
  error = "no conclusion, recommendation or rule is called `" + name + "`";
  // A bare value (`dual`): the conclusion it is a value of.
  if (eq == std::string::npos)
    for (std::size_t c = 0; c < kb.conclusions.size(); ++c) {
      const TypeDesc& td = kb.types.at(kb.conclusions[c].type);
      TypeId et = td.kind == TypeKind::List ? td.elem : td.kind == TypeKind::Map ? td.key : kb.conclusions[c].type;
      const TypeDesc& ed = kb.types.at(et);
      if (ed.kind != TypeKind::Enum || kb.enums[static_cast<std::size_t>(ed.enum_id)].find(name) < 0) continue;
      error += "; did you mean `" + kb.conclusions[c].name + "=" + name + "`?";
      return std::nullopt;
    }
  if (auto s = did_you_mean(name, names)) error += "; did you mean `" + *s + "`?";
  return std::nullopt;
}

bool goal_reached(const Result& result, const Goal& goal) {
  switch (goal.kind) {
    case Goal::Kind::Conclusion: return reached(result.value(goal.slot), goal.want) != goal.negated;
    case Goal::Kind::Recommendation: return result.recommendation(goal.id) != nullptr;
    case Goal::Kind::Rule: return result.fired(goal.rule);
    case Goal::Kind::Program: {
      auto tier = program_tier(result, goal.id);
      return tier && *tier != "excluded" && program_tier_rank(*tier) <= program_tier_rank(goal.tier);
    }
  }
  return false;
}

std::vector<std::int32_t> goal_rules(const RuleSet& rules, const Goal& goal) {
  std::vector<std::int32_t> out;
  for (const CRule& cr : rules.rules) {
    bool any = false;
    for (const CAction& a : cr.actions) {
      bool sure = false;
      if (goal.kind == Goal::Kind::Conclusion) any = any || could_produce(a, goal.slot, goal.want, sure);
      if (goal.kind == Goal::Kind::Recommendation) any = any || (a.kind == ast::ActionKind::Recommend && a.id() == goal.id);
    }
    if (goal.kind == Goal::Kind::Rule) any = cr.index == goal.rule;
    if (any) out.push_back(cr.index);
  }
  return out;
}

WhyNot explain_why_not(const Result& result, const std::string& query, int max_depth) {
  const RuleSet& rules = *result.rules;
  const KnowledgeBase& kb = *rules.kb;
  Explainer x{result, rules, max_depth};
  if (auto program = explain_why_not_program(result, query)) return *program;
  if (auto fact = explain_why_not_fact(result, query)) return *fact;
  FinalView final_view(result);
  WhyNot w;
  w.query = query;

  auto candidate_for = [&](std::int32_t rule) {
    WhyNotCandidate c;
    c.rule = rule_ref(rules, rule);
    const CRule& cr = rules.rules[static_cast<std::size_t>(rule)];
    c.fired = result.fired(rule);
    if (!c.fired) {
      walk(rules, cr.condition, final_view, false, c.failed, true);
      for (TestRecord& t : c.failed) {
        bool any_field = false, fixed = false;
        for (const FactValue& f : t.facts) {
          if (f.value.kind == Value::Kind::Number && t.required.empty()) t.required = bound_words(t, f, rules);
          if (f.conclusion) continue;
          int fi = kb.field_index(f.name);
          any_field = true;
          if (fi < 0 || !kb.actionable_now(static_cast<std::size_t>(fi), f.value)) fixed = true;
        }
        t.changeable = any_field && !fixed;
      }
      c.derived_facts = x.premises_of(c.failed, nullptr, max_depth);
      c.reads = reads_of(c.failed, c.derived_facts);
    }
    return c;
  };

  auto goal = parse_goal(rules, query, w.error);
  if (!goal) return w;
  if (goal->negated) {
    w.error = "`" + query + "` asks what would remove a value: ask `advise what-if " + query +
              "`; to see why `" + rules.slot_name(goal->slot) + "` holds it, use `--explain`";
    return w;
  }
  w.subject = goal->subject;
  w.reached = goal_reached(result, *goal);
  if (goal->kind == Goal::Kind::Conclusion) {
    std::int32_t slot = goal->slot;
    const Value& want = goal->want;
    const std::string& name = rules.slot_name(slot);
    const Value& have = result.value(slot);
    int setters = 0;
    for (const CRule& cr : rules.rules)
      if (std::binary_search(cr.writes.begin(), cr.writes.end(), slot)) ++setters;
    Withdrawal wd = have.is_missing() ? withdrawal(result, slot) : Withdrawal{};
    auto rule_name = [&](std::int32_t firing) {
      return std::string(rules.rules[static_cast<std::size_t>(result.firings[static_cast<std::size_t>(firing)].rule)].name());
    };
    if (wd) {
      w.actual.code(name)
          .text(" was withdrawn: rule ")
          .code(rule_name(wd.ended_by))
          .text(" (firing " + std::to_string(wd.ended_by + 1) + ") changed the facts that rule ")
          .code(rule_name(wd.set_by))
          .text(" matched when it set it");
    } else if (have.is_missing()) {
      if (setters == 0)
        w.actual.text("no rule sets ").code(name);
      else if (result.runaway)
        w.actual.code(name).text(" has no value: evaluation stopped early");
      else
        w.actual.text(setters == 1 ? "the one rule that sets " : "none of the " + std::to_string(setters) + " rules that set ")
            .code(name)
            .text(setters == 1 ? " did not apply" : " applied");
    }
    else
      w.actual.code(name).text(" is ").value(kb.display(have));
    for (const CRule& cr : rules.rules) {
      bool any = false, sure = false;
      for (const CAction& a : cr.actions) {
        bool s = false;
        if (could_produce(a, slot, want, s)) {
          any = true;
          sure = sure || s;
        }
      }
      if (!any) continue;
      WhyNotCandidate c = candidate_for(cr.index);
      if (c.fired) {
        for (const Conflict& cf : result.conflicts) {
          if (cf.slot != slot || result.firings[static_cast<std::size_t>(cf.rejected_firing)].rule != cr.index) continue;
          std::int32_t kept_rule = result.firings[static_cast<std::size_t>(cf.kept_firing)].rule;
          const CRule& kr = rules.rules[static_cast<std::size_t>(kept_rule)];
          c.note = Sentence{};
          c.note.text("it fired, but ")
              .rule(std::string(kr.name()), file_of(rules, kr.loc), line_of(rules, kr.loc))
              .text(" (priority " + std::to_string(kr.priority) + ", " + rules.where(kr.loc) + ") set ")
              .value(kb.display(cf.kept))
              .text(std::string(" instead") + (cf.error ? "; equal priorities are a conflict in the rules" : ""));
        }
        if (c.note.empty() && wd && result.firings[static_cast<std::size_t>(wd.set_by)].rule == cr.index)
          c.note.text("it fired and set it; it is `logical`, and what it set went when its facts changed");
        if (c.note.empty())
          c.note.text(w.reached ? (sure ? "it fired and set it" : "it fired")
                                : (sure ? "it fired; its value was replaced later" : "it fired and computed another value"));
      }
      w.candidates.push_back(std::move(c));
    }
    return w;
  }
  w.actual.text(goal->kind == Goal::Kind::Recommendation ? (w.reached ? "it was recommended" : "it was not recommended")
                                                          : (w.reached ? "it fired" : "it did not fire"));
  for (std::int32_t r : goal_rules(rules, *goal)) w.candidates.push_back(candidate_for(r));
  return w;
}

// ---------------------------------------------------------------- why not, for a fact

namespace {

// The values a rule's tests read when a fact is put in one of its patterns:
// the final slots, and the records bound to levels (others unknown).
class BindingView final : public ValueView {
 public:
  BindingView(const Result& r, std::vector<std::int32_t> bound) : r_(r), bound_(std::move(bound)) {}
  const Value& get(std::int32_t slot) const override { return r_.value(slot); }
  Value fact_field(std::int32_t level, std::int32_t field) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= bound_.size() || bound_[static_cast<std::size_t>(level)] < 0)
      return {};
    return r_.records[static_cast<std::size_t>(bound_[static_cast<std::size_t>(level)])]
        .values[static_cast<std::size_t>(field)];
  }
  FactId fact_at(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= bound_.size() || bound_[static_cast<std::size_t>(level)] < 0)
      return FactId::slot(-1);
    std::int32_t rec = bound_[static_cast<std::size_t>(level)];
    return FactId::of_record(r_.records[static_cast<std::size_t>(rec)].tmpl, rec);
  }
  Value aggregate(std::int32_t level) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= agg_.size()) return {};
    return agg_[static_cast<std::size_t>(level)];
  }
  void bind(std::int32_t level, std::int32_t rec) {
    if (static_cast<std::size_t>(level) >= bound_.size()) bound_.resize(static_cast<std::size_t>(level) + 1, -1);
    bound_[static_cast<std::size_t>(level)] = rec;
  }
  void bind_aggregate(std::int32_t level, Value v) {
    if (static_cast<std::size_t>(level) >= agg_.size()) agg_.resize(static_cast<std::size_t>(level) + 1);
    agg_[static_cast<std::size_t>(level)] = std::move(v);
  }

 private:
  const Result& r_;
  std::vector<std::int32_t> bound_;
  std::vector<Value> agg_;
};

bool reads_level(const CExpr& e, std::int32_t level) {
  if (e.op == Op::FactField && e.level == level) return true;
  return std::any_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return reads_level(k, level); });
}

bool reads_only(const CExpr& e, const std::set<std::int32_t>& levels) {
  if ((e.op == Op::FactField || e.op == Op::AggValue) && !levels.count(e.level)) return false;
  return std::all_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return reads_only(k, levels); });
}

// A pattern's test that failed, as the report shows it.
TestRecord pattern_record(const RuleSet& rules, const ast::Loc& loc, const std::string& note) {
  TestRecord rec;
  rec.text = rules.expr_text(loc);
  rec.where = rules.where(loc);
  rec.file = file_of(rules, loc);
  rec.line = line_of(rules, loc);
  rec.result = Truth::False;
  FactValue f;
  f.name = "because";
  f.display = note;
  rec.facts.push_back(std::move(f));
  return rec;
}

// The search behind why-not for a fact: the patterns of one rule after the
// asked fact's own, bound one at a time over the final facts (depth first,
// in source order), each test checked when the last level it reads is bound.
// `failure` holds what stopped the deepest partial match. Bounded: at most
// kBudget facts tried in all.
struct PartialMatch {
  PartialMatch(const Result& r, const RuleSet& rs, const CRule& cr, const CPattern& p, std::int32_t f, const std::string& n)
      : result(r), rules(rs), rule(cr), asked(p), fact(f), name(n) {}
  const Result& result;
  const RuleSet& rules;
  const CRule& rule;
  const CPattern& asked;
  std::int32_t fact;
  const std::string& name;
  std::vector<TestRecord> failure;
  bool budget_exhausted = false;
  std::size_t deepest = 0;
  std::size_t tried = 0;
  static constexpr std::size_t kBudget = 200000;
  std::vector<const CPattern*> order;
  std::set<std::int32_t> bound;

  void run(const BindingView& start) {
    for (const CPattern& q : rule.patterns())
      if (&q != &asked) order.push_back(&q);
    bound.insert(asked.level);
    BindingView view = start;
    if (search(0, view)) failure.clear();
  }

  bool live(std::size_t i, std::int32_t tmpl) const {
    const Record& r = result.records[i];
    return r.tmpl == tmpl && r.ended_by < 0;
  }

  // The tests that become decidable when `level` is bound: those of `q`,
  // and those of the `for each` patterns (the asked one too) that read it.
  std::vector<const CExpr*> tests_at(const CPattern& q, std::int32_t level) const {
    std::set<std::int32_t> now = bound;
    now.insert(level);
    std::vector<const CExpr*> out;
    for (const CExpr& t : q.tests)
      if (reads_only(t, now)) out.push_back(&t);
    for (const CPattern& o : rule.patterns()) {
      if (&o == &q || o.kind != CPattern::Kind::ForEach) continue;
      for (const CExpr& t : o.tests)
        if (reads_level(t, level) && reads_only(t, now)) out.push_back(&t);
    }
    return out;
  }

  bool holds(const std::vector<const CExpr*>& tests, const BindingView& v) const {
    return std::all_of(tests.begin(), tests.end(),
                       [&](const CExpr* t) { return test_condition(*t, v, *rules.kb) == Truth::True; });
  }

  // A pattern's record, its text ending where a pattern nested in its
  // `where` begins (`for each guest b where ... and for each pair p ...`).
  TestRecord pattern_failure(const CPattern& q, const std::string& note) const {
    TestRecord rec = pattern_record(rules, q.loc, note);
    std::uint32_t cut = q.loc.end;
    for (const CPattern& o : rule.patterns())
      if (o.loc.file == q.loc.file && o.loc.begin > q.loc.begin && o.loc.begin < cut) cut = o.loc.begin;
    if (cut < q.loc.end) {
      std::string t(rules.text_of({q.loc.file, q.loc.begin, cut}));
      while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\t' || t.back() == '(')) t.pop_back();
      if (t.size() >= 4 && t.compare(t.size() - 4, 4, " and") == 0) t.resize(t.size() - 4);
      while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\t')) t.pop_back();
      rec.text = t;
    }
    return rec;
  }

  void fail_at(std::size_t k, std::vector<TestRecord> why) {
    if (!failure.empty() && k <= deepest) return;
    deepest = k;
    failure = std::move(why);
  }

  // Calls `fn(view with it bound, record)` for each live fact of q's
  // template that passes `tests`, until fn returns true; false when the
  // search bound was reached.
  template <typename Fn>
  bool each_match(const CPattern& q, const std::vector<const CExpr*>& tests, const BindingView& view, Fn&& fn) {
    for (std::size_t i = 0; i < result.records.size(); ++i) {
      if (!live(i, q.tmpl)) continue;
      if (++tried > kBudget) {
        budget_exhausted = true;
        return false;
      }
      BindingView next = view;
      next.bind(q.level, static_cast<std::int32_t>(i));
      if (holds(tests, next) && fn(next, i)) break;
    }
    return true;
  }

  bool deeper(std::size_t k, const CPattern& q, BindingView& view) {
    bound.insert(q.level);
    bool ok = search(k + 1, view);
    bound.erase(q.level);
    return ok;
  }

  bool search(std::size_t k, BindingView& view) {
    if (k == order.size()) return true;
    const CPattern& q = *order[k];
    const TemplateDef& qt = rules.templates[static_cast<std::size_t>(q.tmpl)];
    const KnowledgeBase& kb = *rules.kb;
    auto tests = tests_at(q, q.level);
    switch (q.kind) {
      case CPattern::Kind::ForEach:
      case CPattern::Kind::Exists: {
        bool any = false, matched = false;
        if (!each_match(q, tests, view, [&](BindingView& next, std::size_t) {
              any = true;
              matched = q.kind == CPattern::Kind::Exists ? search(k + 1, view) : deeper(k, q, next);
              return matched || q.kind == CPattern::Kind::Exists;
            }))
          return false;
        if (!any)
          fail_at(k, {pattern_failure(q, "no " + qt.name + " matches with this " + name +
                                             (k ? " and the facts matched before it" : ""))});
        return matched;
      }
      case CPattern::Kind::NotExists: {
        std::int32_t blocker = -1;
        if (!each_match(q, tests, view, [&](BindingView&, std::size_t i) {
              if (static_cast<std::int32_t>(i) == fact) return false;
              blocker = static_cast<std::int32_t>(i);
              return true;
            }))
          return false;
        if (blocker < 0) return search(k + 1, view);
        const Record& b = result.records[static_cast<std::size_t>(blocker)];
        std::string bo = record_origin(result, b, false);
        fail_at(k, {pattern_failure(q, "blocked by " + qt.name + " " + record_key(rules, b) +
                                           (bo.empty() ? "" : ", from " + bo))});
        return false;
      }
      case CPattern::Kind::Aggregate: {
        double n = 0, sum = 0, lo = 0, hi = 0;
        if (!each_match(q, tests, view, [&](BindingView& next, std::size_t) {
              if (q.agg == CPattern::Agg::Count) {
                ++n;
                return false;
              }
              Value x = evaluate_expr(q.value, next, kb);
              if (x.kind != Value::Kind::Number) return false;  // unknowns are left out, as the engine does
              lo = n == 0 ? x.num : std::min(lo, x.num);
              hi = n == 0 ? x.num : std::max(hi, x.num);
              sum += x.num;
              ++n;
              return false;
            }))
          return false;
        Value v;
        switch (q.agg) {
          case CPattern::Agg::Count: v = Value::number(n); break;
          case CPattern::Agg::Sum: v = Value::number(sum); break;
          case CPattern::Agg::Min: v = n ? Value::number(lo) : Value{}; break;
          case CPattern::Agg::Max: v = n ? Value::number(hi) : Value{}; break;
          case CPattern::Agg::Avg: v = n ? Value::number(sum / n) : Value{}; break;
        }
        view.bind_aggregate(q.level, v);
        std::vector<TestRecord> failed;
        for (const CExpr& t : q.agg_tests) {
          Truth tr = test_condition(t, view, kb);
          if (tr != Truth::True) record(rules, t, view, tr, failed);
        }
        if (!failed.empty()) {
          fail_at(k, std::move(failed));
          return false;
        }
        return deeper(k, q, view);
      }
    }
    return false;
  }
};

}  // namespace

std::optional<WhyNot> explain_why_not_fact(const Result& result, const std::string& query) {
  const RuleSet& rules = *result.rules;
  if (rules.templates.empty()) return std::nullopt;
  // TEMPLATE[field=value, ...] or TEMPLATE=KEY
  std::string name = query, inside;
  std::vector<std::pair<std::string, std::string>> want;
  auto br = query.find('[');
  auto eq = query.find('=');
  if (br != std::string::npos && query.back() == ']' && (eq == std::string::npos || br < eq)) {
    name = query.substr(0, br);
    inside = query.substr(br + 1, query.size() - br - 2);
  } else if (eq != std::string::npos) {
    name = query.substr(0, eq);
  }
  std::int32_t tmpl = -1;
  for (std::size_t t = 0; t < rules.templates.size(); ++t)
    if (rules.templates[t].name == name) tmpl = static_cast<std::int32_t>(t);
  if (tmpl < 0 || rules.conclusion_slot(name) >= 0) return std::nullopt;
  const TemplateDef& td = rules.templates[static_cast<std::size_t>(tmpl)];
  WhyNot w;
  w.query = query;
  auto trim = [](std::string x) {
    x.erase(0, x.find_first_not_of(' '));
    x.erase(x.find_last_not_of(' ') + 1);
    return x;
  };
  if (!inside.empty()) {
    std::size_t at = 0;
    while (at <= inside.size()) {
      std::size_t comma = inside.find(',', at);
      std::string part = inside.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      auto e = part.find('=');
      if (e == std::string::npos) {
        w.error = "`" + trim(part) + "` is not `field=value`; write `" + name + "[field=value]`";
        return w;
      }
      want.emplace_back(trim(part.substr(0, e)), trim(part.substr(e + 1)));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  } else if (eq != std::string::npos) {
    std::int32_t key = td.key.empty() ? 0 : td.key.front();
    want.emplace_back(td.fields[static_cast<std::size_t>(key)].name(), trim(query.substr(eq + 1)));
  } else {
    w.error = "name a " + name + " by its fields, as in `" + name + "[" +
              (td.fields.empty() ? std::string("field") : td.fields.front().name()) + "=...]`";
    return w;
  }
  std::vector<std::pair<std::int32_t, std::string>> tests;
  for (const auto& [field, value] : want) {
    int f = td.field_index(field);
    if (f < 0) {
      w.error = "a " + name + " has no field `" + field + "`";
      if (auto sug = did_you_mean(field, td.given_names())) w.error += "; did you mean `" + *sug + "`?";
      return w;
    }
    tests.emplace_back(f, value);
  }
  // The fact: the last record of the template with those values.
  std::int32_t found = -1;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    const Record& rec = result.records[i];
    if (rec.tmpl != tmpl) continue;
    bool all = true;
    for (const auto& [f, v] : tests) {
      const Value& have = rec.values[static_cast<std::size_t>(f)];
      std::string shown = have.is_missing() ? "" : rules.kb->display(have);
      if (shown != v && (have.is_missing() || rules.kb->source_text(have) != v)) all = false;
    }
    if (all) found = static_cast<std::int32_t>(i);
    if (seen.size() < 10000 && !rec.values.empty()) {
      const Value& k = rec.values[static_cast<std::size_t>(tests.front().first)];
      if (!k.is_missing()) seen.push_back(rules.kb->display(k));
    }
  }
  if (found < 0) {
    const auto& [f, v] = tests.front();
    w.error = "no " + name + " has " + td.fields[static_cast<std::size_t>(f)].name() + " `" + v + "`";
    if (auto sug = did_you_mean(v, seen)) w.error += "; did you mean `" + *sug + "`?";
    return w;
  }
  const Record& rec = result.records[static_cast<std::size_t>(found)];
  w.subject.text(name + " ").value(record_key(rules, rec));
  std::string origin = record_origin(result, rec, false);
  if (rec.ended_by >= 0) {
    const Firing& by = result.firings[static_cast<std::size_t>(rec.ended_by)];
    w.actual.text("it was removed or changed by rule ")
        .rule(std::string(rules.rules[static_cast<std::size_t>(by.rule)].name()),
              file_of(rules, rules.rules[static_cast<std::size_t>(by.rule)].loc),
              line_of(rules, rules.rules[static_cast<std::size_t>(by.rule)].loc));
  } else {
    w.actual.text("it is a fact" + (origin.empty() ? std::string() : " (" + origin + ")"));
  }
  const KnowledgeBase& kb = *rules.kb;
  for (const CRule& cr : rules.rules) {
    for (const CPattern& p : cr.patterns()) {
      if (p.kind != CPattern::Kind::ForEach || p.tmpl != tmpl) continue;
      WhyNotCandidate c;
      c.rule = rule_ref(rules, cr.index);
      for (const Firing& f : result.firings)
        if (f.rule == cr.index && f.matched[static_cast<std::size_t>(p.level)] == found) c.fired = true;
      if (c.fired) {
        c.note.text("it fired for this " + name);
        w.reached = true;
        w.candidates.push_back(std::move(c));
        continue;
      }
      BindingView view(result, {});
      view.bind(p.level, found);
      std::set<std::int32_t> mine{p.level};
      // Tests over the applicant, and over this fact alone: every one that fails.
      for (const CExpr& g : cr.guards())
        if (test_condition(g, view, kb) != Truth::True) record(rules, g, view, test_condition(g, view, kb), c.failed);
      for (const CExpr& t : p.tests)
        if (reads_only(t, mine)) {
          Truth tr = test_condition(t, view, kb);
          if (tr != Truth::True) record(rules, t, view, tr, c.failed);
        }
      // Then the other patterns in order, with this fact in place: the
      // deepest point any partial match reaches, and what stops it there — a
      // partner that no fact supplies (also through a third pattern), a fact
      // that blocks a `there is no`, an aggregate's value against its test.
      if (c.failed.empty()) {
        PartialMatch pm(result, rules, cr, p, found, name);
        pm.run(view);
        c.failed = std::move(pm.failure);
        if (pm.budget_exhausted)
          c.note.text("the search for a partial match stopped at its limit; run with --trace");
      }
      if (c.failed.empty())
        c.note.text("its tests hold for this " + name + " but it did not fire for it (an aggregate or a later "
                    "change); run with --trace");
      c.reads = reads_of(c.failed, {});
      w.candidates.push_back(std::move(c));
    }
  }
  return w;
}

}  // namespace advise
