#include "engine/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "engine/engine.hpp"
#include "kb/value_json.hpp"

namespace advise {

namespace {

// The three values of a condition, as bits of a set: what a condition may
// still evaluate to while some of the values it reads are not chosen yet.
constexpr unsigned kTrue = 1, kFalse = 2, kUnknown = 4, kAny = 7;

unsigned and3(unsigned a, unsigned b) {
  if (a == kFalse || b == kFalse) return kFalse;
  if (a == kTrue && b == kTrue) return kTrue;
  return kUnknown;
}
unsigned or3(unsigned a, unsigned b) {
  if (a == kTrue || b == kTrue) return kTrue;
  if (a == kFalse && b == kFalse) return kFalse;
  return kUnknown;
}
unsigned combine(unsigned a, unsigned b, unsigned (*f)(unsigned, unsigned)) {
  unsigned out = 0;
  for (unsigned x : {kTrue, kFalse, kUnknown})
    for (unsigned y : {kTrue, kFalse, kUnknown})
      if ((a & x) && (b & y)) out |= f(x, y);
  return out;
}

void slots_of(const CExpr& e, std::vector<std::int32_t>& out) {
  if (e.op == Op::Slot && std::find(out.begin(), out.end(), e.slot) == out.end()) out.push_back(e.slot);
  for (const CExpr& k : e.kids) slots_of(k, out);
}

bool is_comparison(Op op) {
  switch (op) {
    case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::Eq: case Op::Ne:
    case Op::In: case Op::NotIn: case Op::Contains: case Op::NotContains: case Op::Between:
      return true;
    default:
      return false;
  }
}

// The top-level tests of a condition joined by `and`.
void conjuncts(const CExpr& e, std::vector<const CExpr*>& out) {
  if (e.op == Op::And) {
    for (const CExpr& k : e.kids) conjuncts(k, out);
  } else {
    out.push_back(&e);
  }
}

class NoSlots : public ValueView {
 public:
  const Value& get(std::int32_t) const override { return none_; }

 private:
  Value none_;
};

// One search for values of some slots under which conditions can hold.
struct Question {
  std::vector<const CExpr*> hold;            // each must be able to be true
  std::vector<std::int32_t> vars;            // slots to choose, in this order
  std::vector<std::vector<Value>> choices;   // for each var, the values to try (Missing first)
  std::function<bool()> leaf;                // at a complete choice; empty: reaching one is enough
};

class Analyzer {
 public:
  Analyzer(std::shared_ptr<const RuleSet> rs, const AnalysisOptions& o, Diagnostics& d)
      : rs_(std::move(rs)), kb_(*rs_->kb), engine_(rs_), o_(o), diags_(d) {
    auto n = static_cast<std::size_t>(rs_->slot_count());
    view_.values.assign(n, Value{});
    view_.chosen.assign(n, 0);
    collect_hints();
  }

  AnalysisStats run() {
    dead_rules();
    conflicts();
    loops();
    gaps();
    numbers_in_texts();
    missing_placeholders();
    return stats_;
  }

 private:
  struct View : ValueView {
    std::vector<Value> values;
    std::vector<char> chosen;
    const Value& get(std::int32_t slot) const override { return values[static_cast<std::size_t>(slot)]; }
  };

  std::shared_ptr<const RuleSet> rs_;
  const KnowledgeBase& kb_;
  Engine engine_;
  AnalysisOptions o_;
  Diagnostics& diags_;
  AnalysisStats stats_;
  View view_;
  std::unordered_map<const CExpr*, std::vector<std::int32_t>> reads_;
  std::map<std::int32_t, std::vector<Value>> hints_;  // slot -> constants tests compare it with
  std::size_t steps_ = 0, runs_ = 0;
  Result last_;

  // ------------------------------------------------------------ values to try

  void hint(std::int32_t slot, const Value& v) {
    auto& h = hints_[slot];
    if (v.kind == Value::Kind::List) {
      for (const Value& x : v.list_items()) hint(slot, x);
      return;
    }
    if (v.kind == Value::Kind::Range) {
      hint(slot, Value::number(v.num));
      hint(slot, Value::number(v.hi));
      return;
    }
    if (v.is_missing()) return;
    if (std::find(h.begin(), h.end(), v) == h.end()) h.push_back(v);
  }

  void hints_in(const CExpr& e) {
    if (is_comparison(e.op)) {
      std::vector<std::int32_t> read;
      std::vector<Value> consts;
      NoSlots none;
      for (const CExpr& k : e.kids) {
        std::vector<std::int32_t> s;
        slots_of(k, s);
        if (s.empty()) {
          consts.push_back(evaluate_expr(k, none, kb_));
        } else {
          for (std::int32_t x : s) read.push_back(x);
        }
      }
      for (std::int32_t s : read)
        for (const Value& c : consts) hint(s, c);
    }
    for (const CExpr& k : e.kids) hints_in(k);
  }

  void collect_hints() {
    for (const CRule& r : rs_->rules) {
      hints_in(r.condition);
      for (const CAction& a : r.actions) hints_in(a.value);
    }
  }

  // The values to try for a slot, Missing first (a witness names only what matters).
  std::vector<Value> choices(std::int32_t slot) const {
    const FieldDef& def = rs_->slot_def(slot);
    const TypeDesc& t = kb_.types.at(def.type);
    std::vector<Value> out{Value{}};
    auto push = [&](Value v) {
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    };
    auto hints = hints_.find(slot);
    static const std::vector<Value> kNone;
    const std::vector<Value>& h = hints == hints_.end() ? kNone : hints->second;
    auto numbers = [&](TypeKind kind, std::optional<double> lo, std::optional<double> hi, auto&& emit) {
      double step = kind == TypeKind::Integer ? 1 : 0.5;
      auto clamp_emit = [&](double x) {
        if (lo && x < *lo) return;
        if (hi && x > *hi) return;
        emit(x);
      };
      for (const Value& v : h)
        if (v.kind == Value::Kind::Number) {
          clamp_emit(v.num - step);
          clamp_emit(v.num);
          clamp_emit(v.num + step);
        }
      if (lo) emit(*lo);
      if (hi) emit(*hi);
      if (!lo && !hi) emit(0);
    };
    switch (t.kind) {
      case TypeKind::Boolean:
        push(Value::boolean(true));
        push(Value::boolean(false));
        break;
      case TypeKind::Integer:
      case TypeKind::Number:
        numbers(t.kind, def.min, def.max, [&](double x) { push(Value::number(x)); });
        break;
      case TypeKind::Enum: {
        for (const Value& v : h)
          if (v.kind == Value::Kind::Symbol && v.enum_id == t.enum_id) push(v);
        const EnumDef& en = kb_.enums[static_cast<std::size_t>(t.enum_id)];
        for (std::size_t i = 0; i < en.values.size(); ++i)
          push(Value::symbol(t.enum_id, static_cast<std::int32_t>(i)));
        break;
      }
      case TypeKind::String:
        push(Value::string("A"));
        break;
      case TypeKind::List: {
        const TypeDesc& et = kb_.types.at(t.elem);
        std::vector<Value> items;
        if (et.kind == TypeKind::Enum) {
          for (const Value& v : h)
            if (v.kind == Value::Kind::Symbol && v.enum_id == et.enum_id) items.push_back(v);
          if (items.empty()) items.push_back(Value::symbol(et.enum_id, 0));
        } else if (et.kind == TypeKind::Integer || et.kind == TypeKind::Number) {
          numbers(et.kind, def.min, def.max, [&](double x) { items.push_back(Value::number(x)); });
        } else {
          break;
        }
        push(Value::list({}));
        for (const Value& x : items) push(Value::list({x}));
        // Lengths the tests count up to: `count(L) >= 3`.
        for (const Value& v : h)
          if (v.kind == Value::Kind::Number)
            for (double k : {v.num - 1, v.num, v.num + 1})
              if (k >= 2 && k <= 8)
                for (const Value& x : items) push(Value::list(ValueList(static_cast<std::size_t>(k), x)));
        push(Value::list(items));
        break;
      }
      default:
        break;  // ranges and maps: left unknown
    }
    return out;
  }

  bool choosable(std::int32_t slot) const {
    TypeKind k = kb_.types.at(rs_->slot_def(slot).type).kind;
    if (!rs_->is_conclusion(slot)) return k != TypeKind::Map && k != TypeKind::Range;
    return k == TypeKind::Enum || k == TypeKind::Boolean || k == TypeKind::Integer || k == TypeKind::Number;
  }

  // ------------------------------------------------------------ three-valued evaluation

  // The slots each expression reads are kept while questions reuse them (the
  // conditions of a conflict's pairs, a loop's rules); a rule set of 578,524
  // rules kept about 54 bytes a rule here. Called between questions, where no
  // reference into the cache is held, it drops the cache once it is large:
  // what is kept stays bounded, and an expression's slots are only recomputed.
  void trim_reads() {
    if (reads_.size() >= kReadsKept) reads_.clear();
  }
  static constexpr std::size_t kReadsKept = 4096;

  const std::vector<std::int32_t>& reads(const CExpr& e) {
    auto it = reads_.find(&e);
    if (it != reads_.end()) return it->second;
    std::vector<std::int32_t> s;
    slots_of(e, s);
    return reads_.emplace(&e, std::move(s)).first->second;
  }

  unsigned possible(const CExpr& e) {
    switch (e.op) {
      case Op::And: return combine(possible(e.kids[0]), possible(e.kids[1]), and3);
      case Op::Or: return combine(possible(e.kids[0]), possible(e.kids[1]), or3);
      case Op::Not: {
        unsigned a = possible(e.kids[0]);
        return ((a & kTrue) ? kFalse : 0u) | ((a & kFalse) ? kTrue : 0u) | (a & kUnknown);
      }
      default: break;
    }
    for (std::int32_t s : reads(e))
      if (!view_.chosen[static_cast<std::size_t>(s)]) return kAny;
    Value v = evaluate_expr(e, view_, kb_);
    if (v.kind == Value::Kind::Bool) return v.flag ? kTrue : kFalse;
    return v.is_missing() ? kUnknown : kAny;
  }

  // ------------------------------------------------------------ search

  bool solve(Question& q) {
    steps_ = 0;
    runs_ = 0;
    ++stats_.questions;
    q.choices.clear();
    for (std::int32_t s : q.vars) q.choices.push_back(choices(s));
    bool found = dfs(q, 0);
    // Keep the choice that answered; callers read it, then reset().
    return found;
  }

  bool out_of_budget() {
    // An engine run costs about as much as the rules it may fire: the budget
    // of runs shrinks as the rule set grows.
    std::size_t runs = o_.total_runs * 150 / std::max<std::size_t>(150, rs_->rules.size());
    if (stats_.steps >= o_.total_steps || stats_.engine_runs >= runs) stats_.incomplete = true;
    return stats_.incomplete;
  }
  bool exhausted() {
    return steps_ >= o_.steps_per_question || runs_ >= o_.runs_per_question || out_of_budget();
  }

  bool dfs(Question& q, std::size_t i) {
    if (exhausted()) return false;
    ++steps_;
    ++stats_.steps;
    for (const CExpr* c : q.hold)
      if (!(possible(*c) & kTrue)) return false;
    if (i == q.vars.size()) {
      if (!q.leaf) return true;
      ++runs_;
      ++stats_.engine_runs;
      return q.leaf();
    }
    auto slot = static_cast<std::size_t>(q.vars[i]);
    if (view_.chosen[slot]) return dfs(q, i + 1);  // fixed by the caller
    view_.chosen[slot] = 1;
    for (const Value& v : q.choices[i]) {
      view_.values[slot] = v;
      if (dfs(q, i + 1)) return true;
      if (exhausted()) break;
    }
    view_.chosen[slot] = 0;
    view_.values[slot] = Value{};
    return false;
  }

  void reset() {
    std::fill(view_.chosen.begin(), view_.chosen.end(), 0);
    std::fill(view_.values.begin(), view_.values.end(), Value{});
  }

  // The profile fields conditions read, directly or through the rules that
  // set the conclusions they read: direct ones first.
  std::vector<std::int32_t> fields_behind(const std::vector<const CExpr*>& conds) {
    std::vector<std::int32_t> direct, cone;
    std::set<std::int32_t> seen_conclusions;
    std::vector<std::int32_t> todo;
    for (const CExpr* c : conds)
      for (std::int32_t s : reads(*c)) {
        if (rs_->is_conclusion(s)) {
          if (seen_conclusions.insert(s).second) todo.push_back(s);
        } else if (std::find(direct.begin(), direct.end(), s) == direct.end()) {
          direct.push_back(s);
        }
      }
    while (!todo.empty()) {
      std::int32_t c = todo.back();
      todo.pop_back();
      for (const CRule& r : rs_->rules) {
        if (!std::binary_search(r.writes.begin(), r.writes.end(), c)) continue;
        for (std::int32_t s : r.reads) {
          if (rs_->is_conclusion(s)) {
            if (seen_conclusions.insert(s).second) todo.push_back(s);
          } else if (std::find(direct.begin(), direct.end(), s) == direct.end() &&
                     std::find(cone.begin(), cone.end(), s) == cone.end()) {
            cone.push_back(s);
          }
        }
      }
    }
    std::sort(cone.begin(), cone.end());
    direct.insert(direct.end(), cone.begin(), cone.end());
    std::vector<std::int32_t> out;
    for (std::int32_t s : direct)
      if (choosable(s)) out.push_back(s);
    return out;
  }

  Profile profile_of_view() const {
    Profile p;
    p.source = "witness";
    p.kb = &kb_;
    p.values.assign(kb_.fields.size(), Value{});
    for (std::size_t i = 0; i < kb_.fields.size(); ++i)
      if (view_.chosen[i]) p.values[i] = view_.values[i];
    return p;
  }

  bool run_engine() {
    last_ = engine_.evaluate(profile_of_view());
    return true;
  }

  std::string witness_json() const {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < kb_.fields.size(); ++i)
      if (view_.chosen[i] && !view_.values[i].is_missing())
        j[kb_.fields[i].name] = value_json(view_.values[i], kb_);
    return j.dump();
  }

  std::string source(const ast::Loc& loc) const {
    std::string s(rs_->text_of(loc));
    // One line: a multi-line expression is shown with its spaces folded.
    std::string out;
    bool space = false;
    for (char c : s) {
      if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
        space = true;
        continue;
      }
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    }
    return out;
  }

  static void add_witness(Diagnostic& d, const std::string& witness, const std::string& what) {
    d.witness() = witness;
    d.notes().push_back(DiagNote{{}, false, what + ": " + witness});
  }

  // ------------------------------------------------------------ dead rules

  bool satisfiable(const std::vector<const CExpr*>& conds) {
    Question q;
    q.hold = conds;
    for (const CExpr* c : conds)
      for (std::int32_t s : reads(*c))
        if (choosable(s) && std::find(q.vars.begin(), q.vars.end(), s) == q.vars.end()) q.vars.push_back(s);
    bool sat = solve(q);
    bool gave_up = !sat && exhausted();
    reset();
    return sat || gave_up;  // undecided counts as possible: only proven dead rules are reported
  }

  void dead_rules() {
    for (const CRule& r : rs_->rules) {
      if (out_of_budget()) return;
      trim_reads();
      std::vector<const CExpr*> parts;
      conjuncts(r.condition, parts);
      if (satisfiable(parts)) continue;
      // The fewest tests that contradict each other: drop each test the
      // contradiction does not need.
      std::vector<const CExpr*> core = parts;
      for (std::size_t i = 0; i < core.size();) {
        std::vector<const CExpr*> without = core;
        without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
        if (!without.empty() && !satisfiable(without)) {
          core = std::move(without);
        } else {
          ++i;
        }
      }
      std::string tests;
      for (std::size_t i = 0; i < core.size(); ++i) {
        if (i) tests += i + 1 == core.size() ? " and " : ", ";
        tests += "`" + source(core[i]->loc) + "`";
      }
      std::string msg = "rule `" + std::string(r.name()) + "` can never fire: " + tests +
                        (core.size() == 1 ? " can never be true" : " cannot all be true together");
      if (core.size() == 2) msg = "rule `" + std::string(r.name()) + "` can never fire: " + tests + " cannot both be true";
      Diagnostic& d = diags_.report(DiagKind::DeadRule, core.front()->loc, msg);
      for (std::size_t i = 1; i < core.size(); ++i) d.notes().push_back(DiagNote{core[i]->loc, true, "the contradicting test"});
    }
  }

  // ------------------------------------------------------------ conflicts

  static bool constant(const CExpr& e) { return e.op == Op::Const; }

  std::string value_text(const CAction& a) const {
    if (constant(a.value)) return kb_.source_text(*a.value.constant);
    return source(a.value.loc);
  }

  void conflicts() {
    const auto& rules = rs_->rules;
    std::size_t pairs = 0;
    for (std::size_t i = 0; i < rules.size(); ++i) {
      if (out_of_budget()) return;
      trim_reads();
      for (std::size_t j = i + 1; j < rules.size(); ++j) {
        if (++pairs > o_.total_pairs) {
          stats_.incomplete = true;
          return;
        }
        const CRule& a = rules[i];
        const CRule& b = rules[j];
        bool equal = a.priority == b.priority;
        if (!equal && !o_.shadowed) continue;
        for (const CAction& x : a.actions) {
          if (x.kind != ast::ActionKind::Set) continue;
          for (const CAction& y : b.actions) {
            if (y.kind != ast::ActionKind::Set || y.slot != x.slot || y.indexed != x.indexed) continue;
            if (constant(x.value) && constant(y.value) && *x.value.constant == *y.value.constant) continue;
            if (x.indexed && constant(x.key()) && constant(y.key()) && !(*x.key().constant == *y.key().constant)) continue;
            check_conflict(a, x, b, y, equal);
            goto next_pair;  // one finding per pair of rules
          }
        }
      next_pair:;
      }
    }
  }

  void check_conflict(const CRule& a, const CAction& x, const CRule& b, const CAction& y, bool equal) {
    Question q;
    q.hold = {&a.condition, &b.condition};
    q.vars = fields_behind(q.hold);
    const Conflict* seen = nullptr;
    q.leaf = [&] {
      run_engine();
      for (const Conflict& c : last_.conflicts) {
        if (c.slot != x.slot) continue;
        std::int32_t k = last_.firings[static_cast<std::size_t>(c.kept_firing)].rule;
        std::int32_t r = last_.firings[static_cast<std::size_t>(c.rejected_firing)].rule;
        if ((k == a.index && r == b.index) || (k == b.index && r == a.index)) {
          seen = &c;
          return true;
        }
      }
      return false;
    };
    if (!solve(q)) {
      reset();
      return;
    }
    std::string target = rs_->slot_name(x.slot);
    if (x.indexed) target += "[" + kb_.source_text(seen->key) + "]";
    std::string witness = witness_json();
    reset();
    if (equal) {
      Diagnostic& d = diags_.report(
          DiagKind::Conflict, y.loc,
          "`" + std::string(b.name()) + "` and `" + std::string(a.name()) + "` can both set `" + target + "` at priority " +
              std::to_string(a.priority) + ", to `" + value_text(y) + "` and `" + value_text(x) +
              "`; for such an applicant the first to fire wins and the report shows an error");
      d.notes().push_back(DiagNote{x.loc, true, "`" + std::string(a.name()) + "` sets it here"});
      add_witness(d, witness, "a profile that triggers both");
    } else {
      const CRule& hi = a.priority > b.priority ? a : b;
      const CRule& lo = a.priority > b.priority ? b : a;
      const CAction& lo_action = a.priority > b.priority ? y : x;
      const CAction& hi_action = a.priority > b.priority ? x : y;
      Diagnostic& d = diags_.report(
          DiagKind::Shadowed, lo_action.loc,
          "`" + std::string(lo.name()) + "` (priority " + std::to_string(lo.priority) + ") sets `" + target + "` to `" +
              value_text(lo_action) + "`, but `" + std::string(hi.name()) + "` (priority " + std::to_string(hi.priority) +
              ") can set it to `" + value_text(hi_action) + "` for the same applicant, and wins");
      d.notes().push_back(DiagNote{hi_action.loc, true, "`" + std::string(hi.name()) + "` sets it here"});
      add_witness(d, witness, "a profile that triggers both");
    }
  }

  // ------------------------------------------------------------ loops

  // The loops: the strongly connected components of the graph "rule i writes
  // a slot rule j reads" that have a cycle. The graph is walked with the slots
  // as nodes of their own (rule -> each slot it writes -> each rule reading
  // it): the rules' components are the same, and its edges are the writes and
  // the reads, where the rule-to-rule edges were writers times readers of
  // each slot (400 MB for 47,700 rules, many writing and reading the same
  // conclusion). Rules are nodes 0 .. n-1, slot s is node n + s. Its edges
  // are held in one array (an offset a node), and only the components with a
  // cycle are kept.
  void loops() {
    const auto& rules = rs_->rules;
    auto n = rules.size();
    std::size_t nodes = n + rs_->readers.size();
    std::vector<std::uint32_t> first(nodes + 1, 0);  // node v's successors: next[first[v] .. first[v + 1])
    std::vector<std::uint32_t> next;
    for (std::size_t i = 0; i < n; ++i) {
      for (std::int32_t s : rules[i].writes) next.push_back(static_cast<std::uint32_t>(n + static_cast<std::size_t>(s)));
      first[i + 1] = static_cast<std::uint32_t>(next.size());
    }
    for (std::size_t s = 0; s < rs_->readers.size(); ++s) {
      for (std::int32_t r : rs_->readers[s]) next.push_back(static_cast<std::uint32_t>(r));
      first[n + s + 1] = static_cast<std::uint32_t>(next.size());
    }
    // Tarjan's strongly connected components, iteratively.
    std::vector<int> index(nodes, -1), low(nodes, 0);
    std::vector<char> on(nodes, 0);
    std::vector<std::size_t> stack;
    std::vector<std::vector<std::size_t>> comps;  // those with a cycle
    std::vector<std::pair<std::size_t, std::size_t>> work;
    int counter = 0;
    for (std::size_t root = 0; root < n; ++root) {  // every cycle passes through a rule
      if (index[root] >= 0) continue;
      work.assign(1, {root, 0});
      index[root] = low[root] = counter++;
      stack.push_back(root);
      on[root] = 1;
      while (!work.empty()) {
        auto& [v, k] = work.back();
        if (k < first[v + 1] - first[v]) {
          std::size_t w = next[first[v] + k++];
          if (index[w] < 0) {
            index[w] = low[w] = counter++;
            stack.push_back(w);
            on[w] = 1;
            work.emplace_back(w, 0);
          } else if (on[w]) {
            low[v] = std::min(low[v], index[w]);
          }
          continue;
        }
        std::size_t done = v;
        work.pop_back();
        if (!work.empty()) low[work.back().first] = std::min(low[work.back().first], low[done]);
        if (low[done] == index[done]) {
          // A component of one node has no cycle (no node leads to itself
          // directly); a larger one does, and its rules are the loop's (a
          // rule reading what it writes: itself and the slot).
          std::vector<std::size_t> comp;
          bool single = stack.back() == done;
          std::size_t w;
          do {
            w = stack.back();
            stack.pop_back();
            on[w] = 0;
            if (w < n) comp.push_back(w);
          } while (w != done);
          if (single) continue;
          std::sort(comp.begin(), comp.end());
          comps.push_back(std::move(comp));
        }
      }
    }
    std::sort(comps.begin(), comps.end());
    for (const auto& comp : comps) {
      if (out_of_budget()) return;
      trim_reads();
      check_loop(comp);
    }
  }

  void check_loop(const std::vector<std::size_t>& comp) {
    Question q;
    for (std::size_t r : comp) q.hold.push_back(&rs_->rules[r].condition);
    q.vars = fields_behind(q.hold);
    q.leaf = [&] {
      run_engine();
      if (!last_.runaway) return false;
      for (std::int32_t r : last_.runaway->rules)
        if (std::binary_search(comp.begin(), comp.end(), static_cast<std::size_t>(r))) return true;
      return false;
    };
    if (!solve(q)) {
      reset();
      return;
    }
    std::string witness = witness_json();
    std::vector<std::int32_t> involved = last_.runaway->rules;
    std::vector<std::int32_t> slots = last_.runaway->slots;
    reset();
    std::sort(involved.begin(), involved.end());
    std::string names, facts;
    for (std::size_t i = 0; i < involved.size(); ++i)
      names += (i ? ", `" : "`") + std::string(rs_->rules[static_cast<std::size_t>(involved[i])].name()) + "`";
    for (std::size_t i = 0; i < slots.size(); ++i) facts += (i ? ", `" : "`") + rs_->slot_name(slots[i]) + "`";
    const CRule& first = rs_->rules[static_cast<std::size_t>(involved.front())];
    Diagnostic& d = diags_.report(DiagKind::Loop, first.loc,
                                  "rules " + names + " keep changing " + facts +
                                      " for some applicants, until the firing limit stops them");
    for (std::size_t i = 1; i < involved.size(); ++i)
      d.notes().push_back(DiagNote{rs_->rules[static_cast<std::size_t>(involved[i])].loc, true, "in the loop"});
    add_witness(d, witness, "a profile that loops");
  }

  // ------------------------------------------------------------ gaps

  // The final facts of an engine run, as a view for evaluating conditions.
  struct ResultView : ValueView {
    const Result* r = nullptr;
    const Value& get(std::int32_t slot) const override { return r->value(slot); }
  };

  // For each conclusion the knowledge base marks as carried by every report
  // (schema.json `every_report`): a profile among those the mark speaks of
  // (it gives the `given` fields; each `when` field is missing or one of its
  // values) on which the engine, run on it, sets no value. The search
  // tries, for each choice of the given fields, the profile with nothing else,
  // then each one-field change, then each two-field change, within a budget.
  void gaps() {
    for (std::size_t ci = 0; ci < kb_.conclusions.size(); ++ci) {
      if (out_of_budget()) return;
      trim_reads();
      const FieldDef& def = kb_.conclusions[ci];
      if (!def.every_report) continue;
      check_gap(rs_->conclusion_slot(def.name), def);
    }
  }

  void check_gap(std::int32_t slot, const FieldDef& def) {
    std::vector<const CRule*> setters;
    for (const CRule& r : rs_->rules)
      for (const CAction& a : r.actions)
        if ((a.kind == ast::ActionKind::Set || a.kind == ast::ActionKind::Add) && a.slot == slot) {
          setters.push_back(&r);
          break;
        }
    // A rule set that never sets it is a part of the rules (one file checked
    // on its own): nothing to say.
    if (setters.empty()) return;
    std::vector<std::int32_t> given;
    for (const std::string& n : def.every_report_given)
      for (std::int32_t i = 0; i < rs_->field_count(); ++i)
        if (rs_->slot_name(i) == n) given.push_back(i);
    std::vector<const CExpr*> conds;
    for (const CRule* r : setters) conds.push_back(&r->condition);
    std::vector<std::int32_t> vars;
    for (std::int32_t g : given)
      if (choosable(g)) vars.push_back(g);
    for (std::int32_t v : fields_behind(conds))
      if (std::find(vars.begin(), vars.end(), v) == vars.end()) vars.push_back(v);
    ++stats_.questions;
    std::vector<std::vector<Value>> values;
    for (std::int32_t v : vars) {
      std::vector<Value> c = choices(v);
      if (std::find(given.begin(), given.end(), v) != given.end()) c.erase(c.begin());  // never missing
      for (const auto& when : def.every_report_when) {
        if (rs_->slot_name(v) != when.first) continue;
        const std::vector<std::string>& allowed = when.second;
        // Missing, or one of the values the mark allows.
        c.erase(std::remove_if(c.begin(), c.end(),
                               [&](const Value& x) {
                                 if (x.is_missing() || x.kind != Value::Kind::Symbol) return false;
                                 const EnumDef& en = kb_.enums[static_cast<std::size_t>(x.enum_id)];
                                 const std::string& id = en.values[static_cast<std::size_t>(x.sym)];
                                 return std::find(allowed.begin(), allowed.end(), id) == allowed.end();
                               }),
                c.end());
      }
      values.push_back(std::move(c));
    }
    for (const auto& c : values)
      if (c.empty()) return;
    std::size_t ng = 0;
    while (ng < vars.size() && std::find(given.begin(), given.end(), vars[ng]) != given.end()) ++ng;
    std::size_t runs = 0, budget = o_.runs_per_question * 40;
    ResultView final_facts;
    final_facts.r = &last_;
    auto try_view = [&]() -> bool {
      ++stats_.steps;
      for (const CExpr* c : conds)
        if (!(possible(*c) & (kFalse | kUnknown))) return false;
      ++runs;
      ++stats_.engine_runs;
      run_engine();
      return last_.value(slot).is_missing();
    };
    auto set = [&](std::size_t i, const Value* v) {
      auto s = static_cast<std::size_t>(vars[i]);
      view_.chosen[s] = v ? 1 : 0;
      view_.values[s] = v ? *v : Value{};
    };
    // Every choice of the given fields (an odometer), then the changes.
    std::vector<std::size_t> pick(ng, 0);
    bool found = false;
    for (std::size_t depth = 0; depth <= 2 && !found; ++depth) {
      std::fill(pick.begin(), pick.end(), 0);
      for (bool more = true; more && !found;) {
        for (std::size_t i = 0; i < ng; ++i) set(i, &values[i][pick[i]]);
        for (std::size_t i = ng; i < vars.size(); ++i) {
          set(i, nullptr);
          view_.chosen[static_cast<std::size_t>(vars[i])] = 1;  // missing, chosen
        }
        auto limit = [&] { return runs >= budget || out_of_budget(); };
        if (depth == 0) {
          found = try_view();
        } else {
          for (std::size_t a = ng; a < vars.size() && !found && !limit(); ++a)
            for (std::size_t va = 1; va < values[a].size() && !found && !limit(); ++va) {
              set(a, &values[a][va]);
              if (depth == 1) {
                found = try_view();
              } else {
                for (std::size_t b = a + 1; b < vars.size() && !found && !limit(); ++b) {
                  for (std::size_t vb = 1; vb < values[b].size() && !found && !limit(); ++vb) {
                    set(b, &values[b][vb]);
                    found = try_view();
                  }
                  if (!found) {
                    set(b, nullptr);
                    view_.chosen[static_cast<std::size_t>(vars[b])] = 1;
                  }
                }
              }
              if (!found) {
                set(a, nullptr);
                view_.chosen[static_cast<std::size_t>(vars[a])] = 1;
              }
            }
        }
        if (found || runs >= budget || out_of_budget()) break;
        more = false;
        for (std::size_t i = ng; i-- > 0;) {
          if (++pick[i] < values[i].size()) {
            more = true;
            break;
          }
          pick[i] = 0;
        }
      }
      if (runs >= budget || out_of_budget()) break;
    }
    if (!found) {
      reset();
      return;
    }
    std::string witness = witness_json();
    // Why each rule that sets it did not, on the witness: its first test that
    // is not true on the final facts.
    std::vector<std::string> why;
    for (const CRule* r : setters) {
      std::vector<const CExpr*> parts;
      conjuncts(r->condition, parts);
      for (const CExpr* p : parts) {
        Value v = evaluate_expr(*p, final_facts, kb_);
        if (v.kind == Value::Kind::Bool && v.flag) continue;
        why.push_back("`" + std::string(r->name()) + "`: `" + source(p->loc) + "` is " +
                      (v.kind == Value::Kind::Bool ? "false" : "unknown"));
        break;
      }
    }
    reset();
    std::string who;
    for (std::size_t i = 0; i < def.every_report_given.size(); ++i)
      who += (i ? ", `" : "`") + def.every_report_given[i] + "`";
    std::string msg = "no rule sets `" + def.name + "`, which every report carries (kb/schema.json `every_report`), for some applicants";
    if (!who.empty()) msg += " who give " + who;
    for (const auto& [field, allowed] : def.every_report_when) {
      std::string vs;
      for (std::size_t i = 0; i < allowed.size(); ++i) vs += (i ? (i + 1 == allowed.size() ? " or " : ", ") : "") + allowed[i];
      msg += (who.empty() && &field == &def.every_report_when.front().first ? " whose `" : ", whose `") + field +
             "` is missing or " + vs;
    }
    Diagnostic& d = diags_.report(DiagKind::Gap, setters.front()->loc, msg);
    std::size_t shown = std::min<std::size_t>(why.size(), 4);
    for (std::size_t i = 0; i < shown; ++i) d.notes().push_back(DiagNote{{}, false, why[i]});
    if (why.size() > shown)
      d.notes().push_back(DiagNote{{}, false, "and " + std::to_string(why.size() - shown) + " more rules that set it"});
    add_witness(d, witness, "a profile no rule sets it for");
  }

  // ------------------------------------------------------------ numbers in texts

  static bool word_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
  }

  // Identifiers in a piece of source text.
  static std::set<std::string> identifiers(std::string_view s) {
    std::set<std::string> out;
    for (std::size_t i = 0; i < s.size();) {
      char c = s[i];
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
        std::size_t j = i;
        while (j < s.size() && ((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                                (s[j] >= '0' && s[j] <= '9') || s[j] == '_'))
          ++j;
        out.emplace(s.substr(i, j - i));
        i = j;
      } else {
        ++i;
      }
    }
    return out;
  }

  void numbers_in_texts() {
    // Named numeric constants, by value.
    std::map<double, std::vector<std::string>> named;
    for (const auto& [name, e] : rs_->definitions)
      if (e.op == Op::Const && e.constant->kind == Value::Kind::Number) named[e.constant->num].push_back(name);
    if (named.empty()) return;
    for (const CRule& r : rs_->rules) {
      std::set<std::string> read = identifiers(rs_->text_of(r.condition.loc));
      for (const CAction& a : r.actions) {
        if (a.kind != ast::ActionKind::Recommend && a.kind != ast::ActionKind::Note &&
            a.kind != ast::ActionKind::Warn)
          continue;
        std::string_view src = rs_->text_of(a.loc);
        // Scan only inside the quotes, outside placeholders.
        bool in_text = false;
        int braces = 0;
        for (std::size_t i = 0; i < src.size(); ++i) {
          char c = src[i];
          if (!in_text) {
            if (c == '"') in_text = true;
            continue;
          }
          if (c == '\\') {
            ++i;
            continue;
          }
          if (c == '"') {
            in_text = false;
            continue;
          }
          if (c == '{') {
            if (i + 1 < src.size() && src[i + 1] == '{') {
              ++i;
              continue;
            }
            ++braces;
            continue;
          }
          if (c == '}') {
            if (braces > 0) --braces;
            continue;
          }
          if (braces > 0 || c < '0' || c > '9' || (i > 0 && word_char(src[i - 1]))) continue;
          std::size_t j = i;
          while (j < src.size() && src[j] >= '0' && src[j] <= '9') ++j;
          bool decimal = j + 1 < src.size() && src[j] == '.' && src[j + 1] >= '0' && src[j + 1] <= '9';
          bool glued = j < src.size() && (word_char(src[j]) && src[j] != '.');
          // "Step 2 CK", "Example 1", "FAQ 2": a single digit after a
          // capitalised word names a part of the guide, not a quantity.
          bool named_part = false;
          if (j - i == 1 && i >= 2 && src[i - 1] == ' ') {
            std::size_t w = i - 1;
            while (w > 0 && ((src[w - 1] >= 'a' && src[w - 1] <= 'z') || (src[w - 1] >= 'A' && src[w - 1] <= 'Z'))) --w;
            named_part = w < i - 1 && src[w] >= 'A' && src[w] <= 'Z';
          }
          if (!decimal && !glued && !named_part && j - i <= 15) {
            double value = std::stod(std::string(src.substr(i, j - i)));
            auto it = named.find(value);
            if (it != named.end()) {
              // The constant the condition reads; else, for a number of two
              // digits or more, any constant of that value.
              std::string pick;
              for (const std::string& n : it->second)
                if (read.count(n)) {
                  pick = n;
                  break;
                }
              if (pick.empty() && j - i >= 2 && it->second.size() == 1) pick = it->second.front();
              if (!pick.empty()) {
                ast::Loc loc{a.loc.file, a.loc.begin + static_cast<std::uint32_t>(i),
                             a.loc.begin + static_cast<std::uint32_t>(j)};
                std::string num(src.substr(i, j - i));
                diags_.report(DiagKind::NumberInText, loc,
                              "the text writes " + num + ", the value of `" + pick + "`; write `{" + pick +
                                  "}` so that the text follows the constant when it changes");
              }
            }
          }
          i = j - 1;
        }
      }
    }
  }

  // ------------------------------------------------------------ placeholders that may be missing

  void missing_placeholders() {
    for (const CRule& r : rs_->rules) {
      if (out_of_budget()) return;
      trim_reads();
      std::set<std::int32_t> done;
      for (const CAction& a : r.actions) {
        for (const TextTemplate::Segment& seg : a.text.segments) {
          if (!seg.is_expr()) continue;
          for (std::int32_t s : reads(seg.place->expr)) {
            if (rs_->is_conclusion(s) || !done.insert(s).second) continue;
            check_placeholder(r, a, seg.place->expr, s);
          }
        }
      }
    }
  }

  void check_placeholder(const CRule& r, const CAction& a, const CExpr& expr, std::int32_t slot) {
    Question q;
    q.hold = {&r.condition};
    view_.chosen[static_cast<std::size_t>(slot)] = 1;  // fixed: missing
    q.vars = fields_behind(q.hold);
    q.leaf = [&] {
      run_engine();
      return last_.fired(r.index);
    };
    if (!solve(q)) {
      reset();
      return;
    }
    std::string witness = witness_json();
    reset();
    std::string name = rs_->slot_name(slot);
    Diagnostic& d = diags_.report(DiagKind::MissingPlaceholder, a.loc,
                                  "`{" + source(expr.loc) + "}` may be missing when `" + std::string(r.name()) +
                                      "` fires (the applicant did not give `" + name +
                                      "`): the text then reads \"(not given)\"");
    add_witness(d, witness, "a profile that shows it");
  }
};

}  // namespace

AnalysisStats analyze_rules(const std::shared_ptr<const RuleSet>& rules, const AnalysisOptions& options,
                            Diagnostics& diags) {
  Analyzer a(rules, options, diags);
  return a.run();
}

}  // namespace advise
