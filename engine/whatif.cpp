#include "engine/whatif.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "kb/suggest.hpp"

namespace advise {

namespace {

using Act = Actionability::Change;

// Where a test's side reads a profile field: the field itself, or an
// aggregate of a list field.
enum class Target : std::uint8_t { None, Direct, Count, Aggregate };

Target target_of(const CExpr& e, const RuleSet& rules, std::int32_t& field) {
  if (e.op == Op::Slot && !rules.is_conclusion(e.slot)) {
    field = e.slot;
    return Target::Direct;
  }
  if ((e.op == Op::Count || e.op == Op::Min || e.op == Op::Max || e.op == Op::Avg || e.op == Op::Sum) &&
      e.kids.size() == 1 && e.kids[0].op == Op::Slot && !rules.is_conclusion(e.kids[0].slot)) {
    field = e.kids[0].slot;
    return e.op == Op::Count ? Target::Count : Target::Aggregate;
  }
  return Target::None;
}

bool reads_slot(const CExpr& e, std::int32_t slot) {
  if (e.op == Op::Slot && e.slot == slot) return true;
  return std::any_of(e.kids.begin(), e.kids.end(), [&](const CExpr& k) { return reads_slot(k, slot); });
}

void slots_of(const CExpr& e, std::set<std::int32_t>& out) {
  if (e.op == Op::Slot) out.insert(e.slot);
  for (const CExpr& k : e.kids) slots_of(k, out);
}

// What the rules' tests say about each field: numbers it is compared with,
// values it is compared with, items looked for in it, counts asked of it.
struct FieldHints {
  std::set<double> thresholds;       // Direct comparisons
  std::set<double> item_thresholds;  // min/max/avg/sum of a number list
  std::set<double> counts;           // count of a list
  std::vector<Value> values;         // enum values, booleans, list items
};

struct Scanner {
  const RuleSet& rules;
  const ValueView& view;
  std::map<std::int32_t, FieldHints>& hints;
  // The fields whose hints are wanted (those a search may change), or null
  // for every field.
  const std::vector<char>* wanted = nullptr;

  bool want(std::int32_t field) const {
    return !wanted || (static_cast<std::size_t>(field) < wanted->size() && (*wanted)[static_cast<std::size_t>(field)]);
  }

  void add_value(std::int32_t field, const Value& v) {
    auto& vs = hints[field].values;
    if (!v.is_missing() && std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
  }
  void add_number(std::int32_t field, Target t, double x) {
    if (t == Target::Direct) hints[field].thresholds.insert(x);
    if (t == Target::Count) hints[field].counts.insert(x);
    if (t == Target::Aggregate) hints[field].item_thresholds.insert(x);
  }
  // `side` compared with `other`.
  void compare(const CExpr& side, const CExpr& other) {
    std::int32_t field = -1;
    Target t = target_of(side, rules, field);
    if (t == Target::None || !want(field) || reads_slot(other, field)) return;
    Value v = evaluate_expr(other, view, *rules.kb);
    if (v.kind == Value::Kind::Number) add_number(field, t, v.num);
    else if (v.kind == Value::Kind::Range) {
      add_number(field, t, v.num);
      add_number(field, t, v.hi);
    } else if (t == Target::Direct && v.kind == Value::Kind::List) {
      for (const Value& x : v.list_items()) add_value(field, x);
    } else if (t == Target::Direct) {
      add_value(field, v);
    }
  }
  void scan(const CExpr& e) {
    switch (e.op) {
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::Eq: case Op::Ne:
        compare(e.kids[0], e.kids[1]);
        compare(e.kids[1], e.kids[0]);
        break;
      case Op::Between:
        compare(e.kids[0], e.kids[1]);
        compare(e.kids[0], e.kids[2]);
        break;
      case Op::In: case Op::NotIn: {
        compare(e.kids[0], e.kids[1]);
        std::int32_t field = -1;  // `x in list_field`
        if (target_of(e.kids[1], rules, field) == Target::Direct && want(field) && !reads_slot(e.kids[0], field))
          add_value(field, evaluate_expr(e.kids[0], view, *rules.kb));
        break;
      }
      case Op::Contains: case Op::NotContains: {
        std::int32_t field = -1;
        if (target_of(e.kids[0], rules, field) == Target::Direct && want(field) && !reads_slot(e.kids[1], field)) {
          Value v = evaluate_expr(e.kids[1], view, *rules.kb);
          if (v.kind == Value::Kind::List)
            for (const Value& x : v.list_items()) add_value(field, x);
          else
            add_value(field, v);
        }
        break;
      }
      default: break;
    }
    for (const CExpr& k : e.kids) scan(k);
  }
};

struct Candidate {
  std::int32_t field = -1;
  Value to;
  double distance = 0;
  double tie = 0;  // among equal distances, the smaller first (a first score: the lowest that does)
};

Value list_with(const Value& list, const Value& item) {
  ValueList items = list.kind == Value::Kind::List ? list.list_items() : ValueList{};
  items.push_back(item);
  return Value::list(std::move(items));
}

Value list_without(const Value& list, const Value& item) {
  ValueList items;
  for (const Value& x : list.list_items())
    if (x != item) items.push_back(x);
  return Value::list(std::move(items));
}

// The values worth trying for one field, from what the tests say about it.
std::vector<Candidate> candidates_for(const KnowledgeBase& kb, std::int32_t field, const FieldDef& def,
                                      const Value& cur, const FieldHints& h, Act change) {
  std::vector<Candidate> out;
  const TypeDesc& d = kb.types.at(def.type);
  auto allowed_number = [&](double x) {
    if (def.min && x < *def.min) return false;
    if (def.max && x > *def.max) return false;
    if (cur.kind == Value::Kind::Number) {
      if (x == cur.num) return false;
      if (change == Act::Up && x < cur.num) return false;
      if (change == Act::Down && x > cur.num) return false;
    }
    return true;
  };
  auto push = [&](Value to, double distance, double tie) {
    for (const Candidate& c : out)
      if (c.to == to) return;
    out.push_back({field, std::move(to), distance, tie});
  };
  switch (d.kind) {
    case TypeKind::Integer:
    case TypeKind::Number: {
      bool whole = d.kind == TypeKind::Integer;
      for (double t : h.thresholds) {
        std::vector<double> xs = whole ? std::vector<double>{std::ceil(t) - 1, std::floor(t), std::ceil(t), std::floor(t) + 1}
                                       : std::vector<double>{t};
        for (double x : xs) {
          if (!allowed_number(x)) continue;
          if (cur.kind == Value::Kind::Number)
            push(Value::number(x), std::fabs(x - cur.num), 0);
          else
            push(Value::number(x), 1, x);
        }
      }
      break;
    }
    case TypeKind::Boolean: {
      for (bool b : {false, true}) {
        if (cur.kind == Value::Kind::Bool && cur.flag == b) continue;
        if (change == Act::Up && !b && cur.kind == Value::Kind::Bool) continue;
        if (change == Act::Down && b && cur.kind == Value::Kind::Bool) continue;
        push(Value::boolean(b), 1, b ? 1 : 0);
      }
      break;
    }
    case TypeKind::Enum: {
      const EnumDef& e = kb.enums[static_cast<std::size_t>(d.enum_id)];
      for (std::size_t i = 0; i < e.values.size(); ++i) {
        Value v = Value::symbol(d.enum_id, static_cast<std::int32_t>(i));
        if (v == cur) continue;
        push(v, 1, static_cast<double>(i));
      }
      break;
    }
    case TypeKind::List: {
      const TypeDesc& ed = kb.types.at(d.elem);
      const ValueList empty;
      const ValueList& items = cur.kind == Value::Kind::List ? cur.list_items() : empty;
      auto has = [&](const Value& v) { return std::find(items.begin(), items.end(), v) != items.end(); };
      if (change != Act::Down) {
        if (ed.kind == TypeKind::Integer || ed.kind == TypeKind::Number) {
          // A number list (practice scores): one more item, at each threshold.
          std::set<double> xs = h.item_thresholds;
          if (!h.counts.empty() && xs.empty() && !items.empty()) xs.insert(items.back().num);
          for (double t : xs) {
            double x = ed.kind == TypeKind::Integer ? std::ceil(t) : t;
            if ((def.min && x < *def.min) || (def.max && x > *def.max)) continue;
            push(list_with(cur, Value::number(x)), 1, x);
          }
        } else {
          for (const Value& v : h.values)
            if (v.kind != Value::Kind::List && !has(v)) push(list_with(cur, v), 1, 0);
          if (!h.counts.empty() && ed.kind == TypeKind::Enum) {
            // A count asked of the list: one more item, the first the list lacks.
            const EnumDef& e = kb.enums[static_cast<std::size_t>(ed.enum_id)];
            for (std::size_t i = 0; i < e.values.size(); ++i) {
              Value v = Value::symbol(ed.enum_id, static_cast<std::int32_t>(i));
              if (!has(v)) {
                push(list_with(cur, v), 1, 1);
                break;
              }
            }
          }
        }
      }
      if (change == Act::Any || change == Act::Down)
        for (const Value& v : h.values)
          if (has(v)) push(list_without(cur, v), 1, 0);
      break;
    }
    default: break;  // strings, ranges, maps: nothing to try
  }
  return out;
}

std::vector<const CExpr*> conjuncts(const CExpr& e) {
  std::vector<const CExpr*> out;
  if (e.op == Op::And) {
    for (const CExpr& k : e.kids) {
      auto sub = conjuncts(k);
      out.insert(out.end(), sub.begin(), sub.end());
    }
  } else {
    out.push_back(&e);
  }
  return out;
}

// Every slot a rule reads, in its condition and in the values its actions
// compute, sorted.
std::vector<std::int32_t> rule_inputs(const CRule& r) {
  std::vector<std::int32_t> out(r.reads.begin(), r.reads.end());
  for (const CAction& a : r.actions) {
    collect_slots(a.value, out);
    if (a.indexed) collect_slots(a.key(), out);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// What every search over one profile shares, made once per query (and once
// for all the report's "what would change this" lines): the profile's own
// evaluation, the candidate values the rules' tests name over it, and which
// rules read and write what.
struct Prepared {
  std::shared_ptr<const Result> base;
  std::map<std::int32_t, FieldHints> hints;
  const RuleSet& rules;
  std::vector<std::vector<std::int32_t>> writers;  // slot -> rules that write it
  // The evaluations of changed profiles, by their changes (field, value;
  // sorted by field), when every search made with this Prepared starts from
  // the same profile and engine options (the report's what-would-change
  // lines: their searches for several conclusions try many of the same
  // changes). Each search still counts the evaluations it asked for, so its
  // budget and messages are those of a search without the memo.
  struct ChangesLess {
    bool operator()(const std::vector<std::pair<std::int32_t, Value>>& a,
                    const std::vector<std::pair<std::int32_t, Value>>& b) const {
      return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.first != y.first ? x.first < y.first : value_less(x.second, y.second);
      });
    }
  };
  bool memoize = false;
  std::map<std::vector<std::pair<std::int32_t, Value>>, std::shared_ptr<const Result>, ChangesLess> memo;

  // For searches over `profile` with `options` (its actionable and fixed fields).
  Prepared(const Engine& engine, const Profile& profile, const WhatIfOptions& options)
      : Prepared(engine, std::make_shared<const Result>(engine.evaluate(profile, options.engine)), profile, options) {}
  // With the profile's evaluation already made (the report's own).
  Prepared(const Engine& engine, std::shared_ptr<const Result> evaluated, const Profile& profile,
           const WhatIfOptions& options)
      : base(std::move(evaluated)), rules(engine.rules()), inputs_(rules.rules.size()), inputs_made_(rules.rules.size()) {
    writers.resize(static_cast<std::size_t>(rules.slot_count()));
    for (const CRule& r : rules.rules)
      for (std::int32_t s : r.writes) writers[static_cast<std::size_t>(s)].push_back(r.index);
    // Hints only for the fields a search may change (solve() takes
    // candidates only of fields actionable for this profile and options).
    const KnowledgeBase& kb = *rules.kb;
    std::vector<char> wanted(kb.fields.size());
    for (std::size_t f = 0; f < kb.fields.size(); ++f)
      wanted[f] = field_status(kb, profile, static_cast<std::int32_t>(f), options).actionable ? 1 : 0;
    FinalView view(*base);
    Scanner scanner{rules, view, hints, &wanted};
    for (const CRule& r : rules.rules) scanner.scan(r.condition);
  }
  // The slots rule `r` reads (rule_inputs), made when first asked: a search
  // asks for those of the few rules that could reach its goal.
  const std::vector<std::int32_t>& inputs(std::int32_t r) {
    auto i = static_cast<std::size_t>(r);
    if (!inputs_made_[i]) {
      inputs_[i] = rule_inputs(rules.rules[i]);
      inputs_made_[i] = 1;
    }
    return inputs_[i];
  }

 private:
  std::vector<std::vector<std::int32_t>> inputs_;
  std::vector<char> inputs_made_;
};

struct Search {
  const Engine& engine;
  const RuleSet& rules;
  const KnowledgeBase& kb;
  const WhatIfOptions& options;
  WhatIf& w;
  Profile work;
  const std::vector<std::vector<std::int32_t>>& writers;

  Prepared& pre;

  Search(const Engine& e, const Profile& p, const WhatIfOptions& o, WhatIf& out, Prepared& prepared)
      : engine(e), rules(e.rules()), kb(*e.rules().kb), options(o), w(out), work(p),
        writers(prepared.writers), pre(prepared) {}

  bool budget_left() const { return w.evaluations < options.max_evaluations; }

  std::shared_ptr<const Result> run(const std::vector<const Candidate*>& changes) {
    std::vector<std::pair<std::int32_t, Value>> key;
    if (pre.memoize) {
      for (const Candidate* c : changes) {
        auto at = std::find_if(key.begin(), key.end(), [&](const auto& k) { return k.first == c->field; });
        if (at != key.end())
          at->second = c->to;  // the later change of a field is the one evaluated
        else
          key.emplace_back(c->field, c->to);
      }
      std::sort(key.begin(), key.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      auto found = pre.memo.find(key);
      if (found != pre.memo.end()) {
        ++w.evaluations;
        return found->second;
      }
    }
    std::vector<Value> saved;
    for (const Candidate* c : changes) {
      saved.push_back(work.values[static_cast<std::size_t>(c->field)]);
      work.values[static_cast<std::size_t>(c->field)] = c->to;
    }
    auto r = std::make_shared<const Result>(engine.evaluate(work, options.engine));
    for (std::size_t i = changes.size(); i-- > 0;) work.values[static_cast<std::size_t>(changes[i]->field)] = saved[i];
    ++w.evaluations;
    if (pre.memoize) pre.memo.emplace(std::move(key), r);
    return r;
  }

  // The profile fields a set of slots depends on, through the rules that
  // write the conclusions among them.
  std::set<std::int32_t> field_closure(std::set<std::int32_t> todo) {
    std::set<std::int32_t> seen, fields;
    while (!todo.empty()) {
      std::int32_t s = *todo.begin();
      todo.erase(todo.begin());
      if (!seen.insert(s).second) continue;
      if (!rules.is_conclusion(s)) {
        fields.insert(s);
        continue;
      }
      for (std::int32_t r : writers[static_cast<std::size_t>(s)])
        for (std::int32_t x : pre.inputs(r))
          if (!seen.count(x)) todo.insert(x);
    }
    return fields;
  }
};

std::string display_field(const KnowledgeBase& kb, const Value& v) { return v.is_missing() ? "(not given)" : kb.display(v); }
std::string display_conclusion(const KnowledgeBase& kb, const Value& v) {
  return v.is_missing() ? "(not reached)" : kb.display(v);
}

WhatIfOutcome outcome_of(const Result& base, const Result& alt) {
  const RuleSet& rules = *base.rules;
  const KnowledgeBase& kb = *rules.kb;
  WhatIfOutcome o;
  for (std::int32_t s = rules.field_count(); s < rules.slot_count(); ++s) {
    const Value& a = base.value(s);
    const Value& b = alt.value(s);
    if (a == b) continue;
    o.conclusions.push_back({rules.slot_name(s), a, b, display_conclusion(kb, a), display_conclusion(kb, b)});
  }
  for (const Recommendation& r : alt.recommendations)
    if (!base.recommendation(r.id)) o.recommended.push_back(r.id);
  for (const Recommendation& r : base.recommendations)
    if (!alt.recommendation(r.id)) o.unrecommended.push_back(r.id);
  FinalView after(alt);
  for (const CRule& r : rules.rules) {
    bool before_fired = base.fired(r.index), after_fired = alt.fired(r.index);
    if (before_fired == after_fired) continue;
    RuleChange rc;
    rc.rule = rule_ref(rules, r.index);
    if (after_fired) {
      const Firing& f = alt.firings[static_cast<std::size_t>(alt.firings_of(r.index).front())];
      SnapshotView then(alt, f);
      rc.tests = condition_tests(rules, r.condition, then, true);
      o.fire.push_back(std::move(rc));
    } else {
      rc.tests = condition_tests(rules, r.condition, after, false);
      o.stop.push_back(std::move(rc));
    }
  }
  o.conflicts = std::any_of(alt.conflicts.begin(), alt.conflicts.end(), [](const Conflict& c) { return c.error; });
  return o;
}

void solve(const Engine& engine, const Profile& profile, const WhatIfOptions& options, WhatIf& w, int depth,
           Prepared& pre);

// The checks of a query before any search: the overrides name profile
// fields, once each; the goal parses. False with w.error set.
bool check_query(const RuleSet& rules, const std::string& query, const WhatIfOptions& options, WhatIf& w) {
  const KnowledgeBase& kb = *rules.kb;
  w.query = query;
  std::vector<std::string> names;
  for (const FieldDef& f : kb.fields) names.push_back(f.name);
  for (const auto* list : {&options.actionable, &options.fixed})
    for (const std::string& n : *list)
      if (kb.field_index(n) < 0) {
        w.error = "no profile field is called `" + n + "`";
        if (auto s = did_you_mean(n, names)) w.error += "; did you mean `" + *s + "`?";
        return false;
      }
  for (const std::string& n : options.actionable)
    if (std::find(options.fixed.begin(), options.fixed.end(), n) != options.fixed.end()) {
      w.error = "`" + n + "` is named both actionable and fixed; name it once";
      return false;
    }
  auto goal = parse_goal(rules, query, w.error);
  if (!goal) return false;
  w.goal = *goal;
  return true;
}

WhatIf what_if_prepared(const Engine& engine, const Profile& profile, const std::string& query,
                        const WhatIfOptions& options, Prepared& pre) {
  WhatIf w;
  w.rules = engine.rule_set();
  if (!check_query(engine.rules(), query, options, w)) return w;
  w.evaluations = 1;  // the profile's own evaluation, made once for the query
  solve(engine, profile, options, w, 0, pre);
  return w;
}

}  // namespace

FieldStatus field_status(const KnowledgeBase& kb, const Profile& profile, std::int32_t field,
                         const WhatIfOptions& options) {
  const FieldDef& def = kb.fields[static_cast<std::size_t>(field)];
  FieldStatus st{def.name, false, {}};
  auto named = [&](const std::vector<std::string>& names) {
    return std::find(names.begin(), names.end(), def.name) != names.end();
  };
  if (named(options.fixed)) {
    st.because = "named with `--fixed` for this query";
    return st;
  }
  if (named(options.actionable)) {
    st.actionable = true;
    return st;
  }
  const Value& v = profile.values[static_cast<std::size_t>(field)];
  st.actionable = kb.actionable_now(static_cast<std::size_t>(field), v);
  if (!st.actionable)
    st.because = def.actionable.fixed_because.empty() ? "kb/schema.json does not mark it actionable"
                                                      : def.actionable.fixed_because;
  return st;
}

WhatIf what_if(const Engine& engine, const Profile& profile, const std::string& query, const WhatIfOptions& options) {
  WhatIf w;
  w.rules = engine.rule_set();
  if (!check_query(engine.rules(), query, options, w)) return w;
  Prepared pre(engine, profile, options);
  return what_if_prepared(engine, profile, query, options, pre);
}

namespace {

// A view of the final state with one program's record bound wherever a
// rule's pattern over `program` binds a level: the values the rules' tests
// compare the applicant's fields with, for that program.
class ProgramView final : public ValueView {
 public:
  ProgramView(const Result& r, const Record& program, const CRule& rule, std::int32_t tmpl)
      : final_(r), program_(program) {
    for (const CPattern& p : rule.patterns())
      if (p.tmpl == tmpl && p.level >= 0) {
        if (static_cast<std::size_t>(p.level) >= bound_.size()) bound_.resize(static_cast<std::size_t>(p.level) + 1);
        bound_[static_cast<std::size_t>(p.level)] = true;
      }
  }
  const Value& get(std::int32_t slot) const override { return final_.get(slot); }
  Value fact_field(std::int32_t level, std::int32_t field) const override {
    if (level < 0 || static_cast<std::size_t>(level) >= bound_.size() || !bound_[static_cast<std::size_t>(level)])
      return {};
    return program_.values[static_cast<std::size_t>(field)];
  }

 private:
  FinalView final_;
  const Record& program_;
  std::vector<bool> bound_;
};

// A set of changes: indices into the candidates, and the sums of their
// distances and ties.
struct ChangeSet {
  std::vector<std::size_t> items;
  double distance = 0, tie = 0;
};

// The last step of every search: the change sets, smallest first (fewest
// fields, then distance, tie, field and value), each verified by evaluating
// the changed profile; those that reach the goal (and do not run away) are
// kept, up to max_alternatives, leaving out a set whose fields contain a kept
// one's. `single` holds evaluations already made of one-candidate sets (or
// nothing).
void verify_sets(std::vector<ChangeSet> sets, const std::vector<Candidate>& cands,
                 const std::vector<std::shared_ptr<const Result>>& single, const Profile& profile,
                 const WhatIfOptions& options, const Result& base, Search& s, WhatIf& w) {
  const KnowledgeBase& kb = s.kb;
  std::stable_sort(sets.begin(), sets.end(), [&](const ChangeSet& a, const ChangeSet& b) {
    if (a.items.size() != b.items.size()) return a.items.size() < b.items.size();
    if (a.distance != b.distance) return a.distance < b.distance;
    if (a.tie != b.tie) return a.tie < b.tie;
    for (std::size_t k = 0; k < a.items.size(); ++k) {
      const Candidate& x = cands[a.items[k]];
      const Candidate& y = cands[b.items[k]];
      if (x.field != y.field) return x.field < y.field;
      if (x.to != y.to) return value_less(x.to, y.to);
    }
    return false;
  });
  std::vector<std::set<std::int32_t>> kept;
  for (const ChangeSet& st : sets) {
    if (static_cast<int>(w.alternatives.size()) >= options.max_alternatives) break;
    std::set<std::int32_t> fields;
    for (std::size_t i : st.items) fields.insert(cands[i].field);
    bool covered = std::any_of(kept.begin(), kept.end(), [&](const std::set<std::int32_t>& v) {
      return std::includes(fields.begin(), fields.end(), v.begin(), v.end());
    });
    if (covered) continue;
    std::shared_ptr<const Result> r;
    if (st.items.size() == 1 && st.items[0] < single.size() && single[st.items[0]]) {
      r = single[st.items[0]];
    } else {
      if (!s.budget_left()) {
        w.budget_exhausted = true;
        break;
      }
      std::vector<const Candidate*> changes;
      for (std::size_t i : st.items) changes.push_back(&cands[i]);
      r = s.run(changes);
    }
    if (!r || !goal_reached(*r, w.goal) || r->runaway) continue;
    Alternative alt;
    for (std::size_t i : st.items) {
      const Candidate& c = cands[i];
      const Value& from = profile.values[static_cast<std::size_t>(c.field)];
      alt.changes.push_back({c.field, kb.fields[static_cast<std::size_t>(c.field)].name, from, c.to,
                             display_field(kb, from), display_field(kb, c.to), c.distance});
    }
    std::sort(alt.changes.begin(), alt.changes.end(), [](const FieldChange& a, const FieldChange& b) { return a.field < b.field; });
    alt.distance = st.distance;
    alt.outcome = outcome_of(base, *r);
    w.alternatives.push_back(std::move(alt));
    kept.push_back(std::move(fields));
  }
}

// `program=ID[:TIER]`: the program list is made by rules over facts, whose
// tests compare the applicant's fields with the program's (`p.step2ck_min >
// step2ck`). The candidates are the values those tests name for this
// program (and every test's, as for any goal) of the actionable fields the
// rules over facts read; every single change, then every pair of changes of
// two fields, smallest first, is evaluated, and those that put the program
// on the list (at the tier asked or better) are the answer.
template <typename ChangeOf>
void solve_program(const Engine& engine, const Profile& profile, const WhatIfOptions& options, WhatIf& w,
                   Prepared& pre, Search& s, const std::vector<bool>& actionable, ChangeOf&& change_of) {
  const RuleSet& rules = engine.rules();
  const KnowledgeBase& kb = *rules.kb;
  const Result& base = *pre.base;
  std::int32_t program_tmpl = -1;
  for (std::size_t t = 0; t < rules.templates.size(); ++t)
    if (rules.templates[t].name == "program") program_tmpl = static_cast<std::int32_t>(t);
  const Record* program = nullptr;
  std::vector<std::string> ids;
  if (program_tmpl >= 0) {
    const TemplateDef& td = rules.templates[static_cast<std::size_t>(program_tmpl)];
    int id_field = td.field_index("program_id");
    for (const Record& r : base.records) {
      if (r.tmpl != program_tmpl || id_field < 0) continue;
      const Value& v = r.values[static_cast<std::size_t>(id_field)];
      std::string id = v.is_missing() ? std::string() : kb.source_text(v);
      if (!id.empty() && id.front() == '"') id = id.substr(1, id.size() - 2);
      if (id == w.goal.id) program = &r;
      if (ids.size() < 10000) ids.push_back(id);
    }
  }
  if (!program) {
    w.error = "the catalog holds no program `" + w.goal.id + "`";
    if (auto sug = did_you_mean(w.goal.id, ids)) w.error += "; did you mean `" + *sug + "`?";
    return;
  }
  // The fields the rules over facts read, through the conclusions they read.
  std::set<std::int32_t> roots;
  std::map<std::int32_t, FieldHints> hints = pre.hints;
  for (const CRule& r : rules.rules) {
    if (r.patterns().empty()) continue;
    std::vector<std::int32_t> slots;
    for (const CExpr& g : r.guards()) collect_slots(g, slots);
    for (const CPattern& p : r.patterns()) {
      for (const CExpr& t : p.tests) collect_slots(t, slots);
      for (const CExpr& t : p.agg_tests) collect_slots(t, slots);
    }
    collect_slots(r.condition, slots);
    roots.insert(slots.begin(), slots.end());
    ProgramView view(base, *program, r, program_tmpl);
    Scanner scanner{rules, view, hints};
    for (const CExpr& g : r.guards()) scanner.scan(g);
    for (const CPattern& p : r.patterns())
      for (const CExpr& t : p.tests) scanner.scan(t);
  }
  std::vector<Candidate> cands;
  for (std::int32_t f : s.field_closure(roots)) {
    if (!actionable[static_cast<std::size_t>(f)]) continue;
    auto cs = candidates_for(kb, f, kb.fields[static_cast<std::size_t>(f)], profile.values[static_cast<std::size_t>(f)],
                             hints[f], change_of(f));
    cands.insert(cands.end(), cs.begin(), cs.end());
  }
  // A connection to this program: an away rotation, research or a letter
  // writer there (the applicant's home institution is not chosen).
  int pc = kb.field_index("program_connections");
  int ce = -1;
  for (std::size_t e = 0; e < kb.enums.size(); ++e)
    if (kb.enums[e].name == "connection") ce = static_cast<int>(e);
  const Value& have = pc >= 0 ? profile.values[static_cast<std::size_t>(pc)] : Value{};
  if (pc >= 0 && ce >= 0 && actionable[static_cast<std::size_t>(pc)] &&
      have.map_get(Value::string(w.goal.id)).is_missing()) {
    const EnumDef& kinds = kb.enums[static_cast<std::size_t>(ce)];
    double tie = 0;
    for (const char* kind : {"away_rotation", "research", "letter_writer"}) {
      int sym = kinds.find(kind);
      if (sym < 0) continue;
      ValueList pairs = have.kind == Value::Kind::Map ? have.list_items() : ValueList{};
      pairs.push_back(Value::string(w.goal.id));
      pairs.push_back(Value::list({Value::symbol(ce, sym)}));
      cands.push_back({pc, Value::map(std::move(pairs)), 1, tie++});
    }
  }
  std::vector<ChangeSet> sets;
  for (std::size_t i = 0; i < cands.size(); ++i) sets.push_back({{i}, cands[i].distance, cands[i].tie});
  for (std::size_t i = 0; i < cands.size(); ++i)
    for (std::size_t j = i + 1; j < cands.size(); ++j)
      if (cands[i].field != cands[j].field)
        sets.push_back({{i, j}, cands[i].distance + cands[j].distance, cands[i].tie + cands[j].tie});
  verify_sets(std::move(sets), cands, {}, profile, options, base, s, w);
  if (w.alternatives.empty())
    w.reason.text("No change of actionable fields reaches this goal within the search (" +
                  std::to_string(w.evaluations) + " evaluations, one or two fields changed together)");
}

// The search for w.goal; `depth` > 0 for a conclusion value one of the
// goal's rules tests (a sub-goal), whose evaluations count in w's.
void solve(const Engine& engine, const Profile& profile, const WhatIfOptions& options, WhatIf& w, int depth,
           Prepared& pre) {
  const RuleSet& rules = engine.rules();
  const KnowledgeBase& kb = *rules.kb;
  const Goal* goal = &w.goal;
  Search s(engine, profile, options, w, pre);
  const std::shared_ptr<const Result>& base = pre.base;
  if (goal_reached(*base, *goal)) {
    w.already = true;
    return;
  }
  FinalView base_view(*base);

  std::vector<bool> actionable(kb.fields.size());
  for (std::size_t f = 0; f < kb.fields.size(); ++f) {
    w.fields.push_back(field_status(kb, profile, static_cast<std::int32_t>(f), options));
    actionable[f] = w.fields.back().actionable;
  }
  auto change_of = [&](std::int32_t f) {
    const std::string& n = kb.fields[static_cast<std::size_t>(f)].name;
    if (std::find(options.actionable.begin(), options.actionable.end(), n) != options.actionable.end()) return Act::Any;
    return kb.fields[static_cast<std::size_t>(f)].actionable.change;
  };
  if (goal->kind == Goal::Kind::Program) return solve_program(engine, profile, options, w, pre, s, actionable, change_of);

  // The rules that could reach the goal; for a scalar conclusion, also the
  // rules that set it to something else and would stand against them.
  std::vector<std::int32_t> producers = goal_rules(rules, *goal);
  std::vector<std::int32_t> opponents;
  if (goal->kind == Goal::Kind::Conclusion) {
    TypeKind k = kb.types.at(rules.slot_def(goal->slot).type).kind;
    if (k != TypeKind::List && k != TypeKind::Map)
      for (std::int32_t r : s.writers[static_cast<std::size_t>(goal->slot)])
        if (base->fired(r) && std::find(producers.begin(), producers.end(), r) == producers.end()) opponents.push_back(r);
  }

  // The fields that matter: what those rules read, through conclusions.
  std::set<std::int32_t> roots;
  for (std::int32_t r : producers) roots.insert(pre.inputs(r).begin(), pre.inputs(r).end());
  for (std::int32_t r : opponents) roots.insert(pre.inputs(r).begin(), pre.inputs(r).end());
  std::set<std::int32_t> relevant = s.field_closure(roots);

  // Candidate values, from every test of every rule (Prepared::hints).
  std::map<std::int32_t, FieldHints>& hints = pre.hints;
  std::vector<Candidate> cands;
  for (std::int32_t f : relevant) {
    if (!actionable[static_cast<std::size_t>(f)]) continue;
    auto cs = candidates_for(kb, f, kb.fields[static_cast<std::size_t>(f)], profile.values[static_cast<std::size_t>(f)],
                             hints[f], change_of(f));
    cands.insert(cands.end(), cs.begin(), cs.end());
  }

  // 1. Every single change, evaluated.
  std::vector<std::shared_ptr<const Result>> single(cands.size());
  for (std::size_t i = 0; i < cands.size(); ++i) {
    if (!s.budget_left()) {
      w.budget_exhausted = true;
      break;
    }
    single[i] = s.run({&cands[i]});
  }

  // Change sets; each is a sorted list of candidate indices.
  std::vector<ChangeSet> sets;
  std::set<std::vector<std::size_t>> seen_sets;
  auto add_set = [&](std::vector<std::size_t> items) {
    std::sort(items.begin(), items.end());
    if (!seen_sets.insert(items).second) return;
    ChangeSet st;
    for (std::size_t i : items) {
      st.distance += cands[i].distance;
      st.tie += cands[i].tie;
    }
    st.items = std::move(items);
    sets.push_back(std::move(st));
  };
  for (std::size_t i = 0; i < cands.size(); ++i)
    if (single[i] && goal_reached(*single[i], *goal)) add_set({i});

  // 2. For each rule that could reach the goal, the changes that make each of
  // its failing conjuncts true (and keep the opposing rules from firing).
  auto truth_after = [&](const CExpr& e, std::size_t i) {
    return single[i] ? test_condition(e, FinalView(*single[i]), kb) : Truth::Unknown;
  };
  auto fixed_fields_of = [&](const CExpr& e, bool& only_fixed) {
    std::set<std::int32_t> slots;
    slots_of(e, slots);
    std::vector<FixedField> out;
    only_fixed = true;
    for (std::int32_t f : s.field_closure(slots)) {
      if (actionable[static_cast<std::size_t>(f)]) {
        only_fixed = false;
        continue;
      }
      out.push_back({kb.fields[static_cast<std::size_t>(f)].name, profile.values[static_cast<std::size_t>(f)],
                     display_field(kb, profile.values[static_cast<std::size_t>(f)]),
                     w.fields[static_cast<std::size_t>(f)].because});
    }
    return out;
  };
  constexpr std::size_t kMaxSets = 20000;
  bool any_rule_open = false;
  // The smallest sets of changes that satisfy every need (each need: the
  // options, sets of candidates, of which one must be taken). Covers: one
  // change per field, at most max_fields fields.
  auto cover = [&](std::vector<std::vector<std::vector<std::size_t>>> needs) {
    std::sort(needs.begin(), needs.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
    std::vector<std::size_t> chosen;
    auto dfs = [&](auto&& self, std::size_t k) -> void {
      if (sets.size() >= kMaxSets) return;
      if (k == needs.size()) {
        if (!chosen.empty()) add_set(chosen);
        return;
      }
      auto has = [&](std::size_t i) { return std::find(chosen.begin(), chosen.end(), i) != chosen.end(); };
      for (const auto& option : needs[k])
        if (std::all_of(option.begin(), option.end(), has)) return self(self, k + 1);
      for (const auto& option : needs[k]) {
        std::size_t before = chosen.size();
        bool ok = true;
        for (std::size_t i : option) {
          if (has(i)) continue;
          bool field_taken = std::any_of(chosen.begin(), chosen.end(), [&](std::size_t j) { return cands[j].field == cands[i].field; });
          if (field_taken || static_cast<int>(chosen.size()) >= options.max_fields) {
            ok = false;
            break;
          }
          chosen.push_back(i);
        }
        if (ok) self(self, k + 1);
        chosen.resize(before);
      }
    };
    dfs(dfs, 0);
  };
  if (goal->negated) {
    // Every rule that gave the value must stop: per rule, the single changes
    // after which its condition no longer holds; all of them at once.
    std::vector<std::vector<std::vector<std::size_t>>> needs;
    for (std::int32_t r : producers) {
      if (!base->fired(r)) continue;
      const CRule& rule = rules.rules[static_cast<std::size_t>(r)];
      std::vector<std::vector<std::size_t>> fixes;
      for (std::size_t i = 0; i < cands.size(); ++i)
        if (truth_after(rule.condition, i) != Truth::True) fixes.push_back({i});
      if (fixes.empty()) {
        WhatIfBlocker b;
        b.rule = rule_ref(rules, r);
        auto tests = condition_tests(rules, rule.condition, base_view, true);
        if (!tests.empty()) b.test = tests.front();
        b.fixed = fixed_fields_of(rule.condition, b.only_fixed);
        w.blockers.push_back(std::move(b));
        continue;
      }
      needs.push_back(std::move(fixes));
    }
    if (w.blockers.empty() && !needs.empty()) {
      any_rule_open = true;
      cover(std::move(needs));
    }
  }
  for (std::int32_t r : producers) {
    if (goal->negated) break;
    const CRule& rule = rules.rules[static_cast<std::size_t>(r)];
    // Per constraint: the change sets (options) that satisfy it.
    std::vector<std::vector<std::vector<std::size_t>>> needs;
    bool blocked = false;
    for (const CExpr* c : conjuncts(rule.condition)) {
      if (test_condition(*c, base_view, kb) == Truth::True) continue;
      std::vector<std::vector<std::size_t>> fixes;
      for (std::size_t i = 0; i < cands.size(); ++i)
        if (truth_after(*c, i) == Truth::True) fixes.push_back({i});
      // A test of a conclusion's value no single change reaches: that value
      // is a goal of its own, whose change sets become this test's options.
      std::optional<WhatIf> sub;
      if (fixes.empty() && depth < 2 && c->op == Op::Eq && c->kids[0].op == Op::Slot &&
          rules.is_conclusion(c->kids[0].slot) && c->kids[1].op == Op::Const && s.budget_left()) {
        sub.emplace();
        sub->goal.kind = Goal::Kind::Conclusion;
        sub->goal.slot = c->kids[0].slot;
        sub->goal.want = *c->kids[1].constant;
        sub->evaluations = w.evaluations;
        solve(engine, profile, options, *sub, depth + 1, pre);
        w.evaluations = sub->evaluations;
        for (const Alternative& a : sub->alternatives) {
          std::vector<std::size_t> option;
          for (const FieldChange& ch : a.changes) {
            std::size_t k = 0;
            while (k < cands.size() && !(cands[k].field == ch.field && cands[k].to == ch.to)) ++k;
            if (k == cands.size()) {
              cands.push_back({ch.field, ch.to, ch.distance, 0});
              single.push_back(nullptr);
            }
            option.push_back(k);
          }
          fixes.push_back(std::move(option));
        }
      }
      if (fixes.empty()) {
        WhatIfBlocker b;
        b.rule = rule_ref(rules, r);
        auto tests = condition_tests(rules, *c, base_view, false);
        if (!tests.empty()) b.test = tests.front();
        b.fixed = fixed_fields_of(*c, b.only_fixed);
        if (sub && sub->proven) {
          // The conclusion cannot reach that value: name what stands in its way.
          b.only_fixed = true;
          b.fixed.clear();
          for (const WhatIfBlocker& sb : sub->blockers)
            for (const FixedField& f : sb.fixed)
              if (std::none_of(b.fixed.begin(), b.fixed.end(), [&](const FixedField& x) { return x.name == f.name; }))
                b.fixed.push_back(f);
        }
        w.blockers.push_back(std::move(b));
        blocked = true;
        break;
      }
      needs.push_back(std::move(fixes));
    }
    if (blocked) continue;
    for (std::int32_t o : opponents) {
      const CRule& opp = rules.rules[static_cast<std::size_t>(o)];
      if (opp.priority < rule.priority) continue;
      std::vector<std::vector<std::size_t>> fixes;
      for (std::size_t i = 0; i < cands.size(); ++i)
        if (truth_after(opp.condition, i) != Truth::True) fixes.push_back({i});
      // No single change stops it: it may still stop with the changes the
      // rule's own tests need (verification tells).
      if (fixes.empty()) continue;
      needs.push_back(std::move(fixes));
    }
    if (blocked) continue;
    any_rule_open = true;
    cover(needs);
  }

  // 3. Verify, smallest first.
  verify_sets(std::move(sets), cands, single, profile, options, *base, s, w);

  if (w.alternatives.empty()) {
    if (goal->negated)
      // One rule that gives the value and that no change can stop is enough.
      w.proven = std::any_of(w.blockers.begin(), w.blockers.end(), [](const WhatIfBlocker& b) { return b.only_fixed; });
    else
      w.proven = !producers.empty() && !any_rule_open &&
                 std::all_of(w.blockers.begin(), w.blockers.end(), [](const WhatIfBlocker& b) { return b.only_fixed; });
    if (producers.empty()) {
      w.reason.text("No rule can produce it");
    } else if (w.proven && goal->negated) {
      w.reason.text("No change of actionable fields reaches this goal: a rule that gives the value has tests that only "
                    "fixed fields decide");
    } else if (w.proven) {
      w.reason.text("No change of actionable fields reaches this goal: every rule that could ")
          .text(goal->kind == Goal::Kind::Rule ? "fire" : "reach it")
          .text(" has a test that only fixed fields decide");
    } else {
      w.reason.text("No change of actionable fields reaches this goal within the search (" +
                    std::to_string(w.evaluations) + " evaluations, at most " + std::to_string(options.max_fields) +
                    " fields changed together)");
    }
  }
}

}  // namespace

bool facts_reach_slots(const RuleSet& rules) {
  return std::any_of(rules.rules.begin(), rules.rules.end(),
                     [](const CRule& r) { return !r.patterns().empty() && !r.writes.empty(); });
}

void add_what_would_change(Report& report, const Engine& engine, const Profile& profile, const Result& evaluated,
                           const EngineOptions& eo, int max_lines, std::size_t max_evaluations) {
  const RuleSet& rules = engine.rules();
  const KnowledgeBase& kb = *rules.kb;
  if (report.runaway) return;  // a rule set that ran away would run away again for every change
  int lines = 0;
  std::optional<Prepared> pre;  // made once, for the first line that needs a search
  // When no rule over facts writes a slot, every slot's value (and so every
  // conclusion goal, every test's hint, every rule over the applicant alone)
  // is the same with the given facts as without them: the searches evaluate
  // without them, from an evaluation of the profile without them (with a
  // 10,000-program catalog, the searches took 2.5 s of a 2.6 s text report
  // and 16 M instructions without it).
  EngineOptions search_eo = eo;
  std::shared_ptr<const Result> start(std::shared_ptr<const Result>(), &evaluated);
  bool leave_facts_out = eo.facts && !eo.facts->empty() && !facts_reach_slots(rules);
  for (ConclusionEntry& c : report.conclusions) {
    if (lines >= max_lines) break;
    int idx = kb.conclusion_index(c.name);
    if (idx < 0) continue;
    const Value& hoped = kb.conclusions[static_cast<std::size_t>(idx)].hoped_for;
    if (hoped.is_missing() || c.value.is_missing() || c.value == hoped) continue;
    WhatIfOptions o;
    o.max_alternatives = 1;
    o.max_evaluations = max_evaluations;
    // The report's evaluation is the search's starting point (a copy would
    // cost as much as evaluating again; the caller keeps it alive), or,
    // leaving the facts out, the profile's evaluation without them.
    if (!pre && leave_facts_out) {
      search_eo.facts = nullptr;
      start = std::make_shared<const Result>(engine.evaluate(profile, search_eo));
    }
    o.engine = search_eo;
    if (!pre) {
      pre.emplace(engine, start, profile, o);
      pre->memoize = true;  // every line's search starts from this profile with these options
    }
    WhatIf w = what_if_prepared(engine, profile, c.name + "=" + kb.source_text(hoped), o, *pre);
    if (!w.error.empty() || w.already) continue;
    // The applicant's words: labels for fields and values, no ids.
    PlainDecision* decision = nullptr;
    if (report.applicant_view)
      for (PlainDecision& d : report.applicant_view->decisions)
        if (d.name == c.name) decision = &d;
    auto label_of = [&](const Value& v) { return kb.label(v); };
    Sentence plain;
    Sentence s;
    if (!w.alternatives.empty()) {
      plain.text("To reach \u201c").value(kb.label(hoped)).text("\u201d: ");
      const Alternative& alt = w.alternatives.front();
      for (std::size_t i = 0; i < alt.changes.size(); ++i) {
        const FieldChange& ch = alt.changes[i];
        if (i) plain.text(i + 1 == alt.changes.size() ? " and " : ", ");
        if (ch.from.is_missing())
          plain.text("your " + kb.slot_label(ch.name) + " at ").value(label_of(ch.to)).text(" (not given yet)");
        else
          plain.text("your " + kb.slot_label(ch.name) + " from ").value(label_of(ch.from)).text(" to ").value(label_of(ch.to));
      }
      plain.text(" (checked against the rules).");
      s.text("what would change this to ").value(kb.display(hoped)).text(": ");
      const Alternative& a = w.alternatives.front();
      for (std::size_t i = 0; i < a.changes.size(); ++i) {
        const FieldChange& ch = a.changes[i];
        if (i) s.text(i + 1 == a.changes.size() ? " and " : ", ");
        s.code(ch.name).text(" ").value(ch.from_display + " -> " + ch.to_display);
      }
      s.text(" (checked by evaluating the changed profile)");
    } else if (w.proven) {
      std::vector<std::string> fixed;
      for (const WhatIfBlocker& b : w.blockers)
        for (const FixedField& f : b.fixed)
          if (std::find(fixed.begin(), fixed.end(), f.name) == fixed.end()) fixed.push_back(f.name);
      s.text("what would change this to ").value(kb.display(hoped)).text(": nothing you can act on; it depends on ");
      plain.text("To reach \u201c").value(kb.label(hoped)).text("\u201d: nothing you can act on; it depends on ");
      for (std::size_t i = 0; i < fixed.size(); ++i) {
        if (i) s.text(i + 1 == fixed.size() ? " and " : ", ");
        if (i) plain.text(i + 1 == fixed.size() ? " and " : ", ");
        s.code(fixed[i]);
        plain.text("your " + kb.slot_label(fixed[i]));
      }
      s.text(", which cannot change");
      plain.text(", which cannot change.");
    } else {
      continue;
    }
    c.what_would_change = std::move(s);
    if (decision) decision->what_would_change = std::move(plain);
    ++lines;
  }
}

}  // namespace advise
