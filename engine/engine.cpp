#include "engine/engine.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <unordered_map>

namespace advise {

namespace {
const Value kMissing{};
}

// ---------------------------------------------------------------- Result

const Value& Result::value(std::int32_t slot) const {
  std::int32_t v = current[static_cast<std::size_t>(slot)];
  return v < 0 ? kMissing : facts[static_cast<std::size_t>(v)].value;
}

const Value& Result::conclusion(std::string_view name) const {
  std::int32_t s = rules->conclusion_slot(name);
  return s < 0 ? kMissing : value(s);
}

bool Result::fired(std::int32_t rule) const {
  return std::any_of(firings.begin(), firings.end(), [&](const Firing& f) { return f.rule == rule; });
}

std::vector<std::int32_t> Result::firings_of(std::int32_t rule) const {
  std::vector<std::int32_t> out;
  for (std::size_t i = 0; i < firings.size(); ++i)
    if (firings[i].rule == rule) out.push_back(static_cast<std::int32_t>(i));
  return out;
}

const Recommendation* Result::recommendation(std::string_view id) const {
  for (const Recommendation& r : recommendations)
    if (r.id == id) return &r;
  return nullptr;
}

std::int32_t Result::version_at(std::int32_t slot, const Firing& firing) const {
  std::int32_t v = current[static_cast<std::size_t>(slot)];
  while (v >= firing.facts_before) v = facts[static_cast<std::size_t>(v)].prev;
  return v;
}

const Value& SnapshotView::get(std::int32_t slot) const {
  std::int32_t v = r_.version_at(slot, firing_);
  return v < 0 ? kMissing : r_.facts[static_cast<std::size_t>(v)].value;
}

// ---------------------------------------------------------------- evaluation

namespace {

// Equality with the scalar kinds inline (the conditions' usual case).
inline bool values_equal(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::Symbol: return a.sym == b.sym && a.enum_id == b.enum_id;
    case Value::Kind::Number: return a.num == b.num;
    case Value::Kind::Bool: return a.flag == b.flag;
    default: return a == b;
  }
}

bool list_has(const Value& list, const Value& x) {
  for (const Value& v : list.list_items())
    if (values_equal(v, x)) return true;
  return false;
}

}  // namespace

Value evaluate_expr(const CExpr& e, const ValueView& view, const KnowledgeBase& kb) {
  auto ev = [&](std::size_t i) { return evaluate_expr(e.kids[i], view, kb); };
  switch (e.op) {
    case Op::Const: return e.constant;
    case Op::Slot: return view.get(e.slot);
    case Op::Member: {
      Value base = ev(0);
      if (base.kind != Value::Kind::Symbol) return {};
      return kb.specialties[static_cast<std::size_t>(base.sym)].attributes[static_cast<std::size_t>(e.slot)];
    }
    case Op::MapGet: {
      Value m = ev(0);
      Value k = ev(1);
      if (m.is_missing() || k.is_missing()) return {};
      return m.map_get(k);
    }
    case Op::Truthy: {
      Value v = ev(0);
      return v.kind == Value::Kind::Bool ? v : Value{};
    }
    case Op::Not: {
      Value v = ev(0);
      return v.kind == Value::Kind::Bool ? Value::boolean(!v.flag) : Value{};
    }
    case Op::And: {
      Value a = ev(0);
      if (a.kind == Value::Kind::Bool && !a.flag) return a;
      Value b = ev(1);
      if (b.kind == Value::Kind::Bool && !b.flag) return b;
      if (a.is_missing() || b.is_missing()) return {};
      return Value::boolean(true);
    }
    case Op::Or: {
      Value a = ev(0);
      if (a.kind == Value::Kind::Bool && a.flag) return a;
      Value b = ev(1);
      if (b.kind == Value::Kind::Bool && b.flag) return b;
      if (a.is_missing() || b.is_missing()) return {};
      return Value::boolean(false);
    }
    case Op::Neg: {
      Value v = ev(0);
      return v.kind == Value::Kind::Number ? Value::number(-v.num) : Value{};
    }
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div: {
      Value a = ev(0), b = ev(1);
      if (a.kind != Value::Kind::Number || b.kind != Value::Kind::Number) return {};
      switch (e.op) {
        case Op::Add: return Value::number(a.num + b.num);
        case Op::Sub: return Value::number(a.num - b.num);
        case Op::Mul: return Value::number(a.num * b.num);
        default: return b.num == 0 ? Value{} : Value::number(a.num / b.num);
      }
    }
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      Value a = ev(0), b = ev(1);
      if (a.kind != Value::Kind::Number || b.kind != Value::Kind::Number) return {};
      switch (e.op) {
        case Op::Lt: return Value::boolean(a.num < b.num);
        case Op::Le: return Value::boolean(a.num <= b.num);
        case Op::Gt: return Value::boolean(a.num > b.num);
        default: return Value::boolean(a.num >= b.num);
      }
    }
    case Op::Eq:
    case Op::Ne: {
      Value a = ev(0), b = ev(1);
      if (a.is_missing() || b.is_missing()) return {};
      bool eq = values_equal(a, b);
      return Value::boolean(e.op == Op::Eq ? eq : !eq);
    }
    case Op::In:
    case Op::NotIn: {
      Value a = ev(0), c = ev(1);
      if (a.is_missing() || c.is_missing()) return {};
      bool in = c.kind == Value::Kind::Range ? (a.kind == Value::Kind::Number && a.num >= c.num && a.num <= c.hi)
                                             : list_has(c, a);
      return Value::boolean(e.op == Op::In ? in : !in);
    }
    case Op::Contains:
    case Op::NotContains: {
      Value l = ev(0), x = ev(1);
      if (l.is_missing() || x.is_missing()) return {};
      bool has = list_has(l, x);
      return Value::boolean(e.op == Op::Contains ? has : !has);
    }
    case Op::Between: {
      Value v = ev(0), lo = ev(1), hi = ev(2);
      if (v.kind != Value::Kind::Number || lo.kind != Value::Kind::Number || hi.kind != Value::Kind::Number) return {};
      return Value::boolean(v.num >= lo.num && v.num <= hi.num);
    }
    case Op::IsMissing: return Value::boolean(ev(0).is_missing());
    case Op::IsPresent: return Value::boolean(!ev(0).is_missing());
    case Op::Min:
    case Op::Max:
    case Op::Avg:
    case Op::Sum:
    case Op::Count: {
      Value l = ev(0);
      if (l.kind != Value::Kind::List) return {};
      const ValueList& items = l.list_items();
      if (e.op == Op::Count) return Value::number(static_cast<double>(items.size()));
      if (e.op == Op::Sum) {
        double s = 0;
        for (const Value& v : items) s += v.num;
        return Value::number(s);
      }
      if (items.empty()) return {};
      double acc = items[0].num;
      for (const Value& v : items) {
        if (e.op == Op::Min) acc = std::min(acc, v.num);
        if (e.op == Op::Max) acc = std::max(acc, v.num);
      }
      if (e.op == Op::Avg) {
        double s = 0;
        for (const Value& v : items) s += v.num;
        acc = s / static_cast<double>(items.size());
      }
      return Value::number(acc);
    }
    case Op::MakeList: {
      ValueList items;
      items.reserve(e.kids.size());
      for (std::size_t i = 0; i < e.kids.size(); ++i) {
        Value v = ev(i);
        if (v.is_missing()) return {};
        items.push_back(std::move(v));
      }
      return Value::list(std::move(items));
    }
    case Op::MakeRange: {
      Value lo = ev(0), hi = ev(1);
      if (lo.kind != Value::Kind::Number || hi.kind != Value::Kind::Number) return {};
      return Value::range(lo.num, hi.num);
    }
  }
  return {};
}

// The agenda's hot path: conditions are tested without building Values for
// operands that already exist (facts, constants, knowledge-base data).
namespace {

// `tmp` holds a computed operand; it stays empty (nothing to construct or
// destroy) for facts, constants and knowledge-base data, the usual case.
// View: ValueView, or a final class derived from it, whose get() then inlines.
template <typename View>
const Value& operand(const CExpr& e, const View& view, const KnowledgeBase& kb, std::optional<Value>& tmp) {
  switch (e.op) {
    case Op::Const: return e.constant;
    case Op::Slot: return view.get(e.slot);
    case Op::Member: {
      std::optional<Value> base_tmp;
      const Value& base = operand(e.kids[0], view, kb, base_tmp);
      if (base.kind != Value::Kind::Symbol) return kMissing;
      return kb.specialties[static_cast<std::size_t>(base.sym)].attributes[static_cast<std::size_t>(e.slot)];
    }
    default:
      return tmp.emplace(evaluate_expr(e, view, kb));
  }
}

Truth truth(const Value& v) {
  if (v.kind != Value::Kind::Bool) return Truth::Unknown;
  return v.flag ? Truth::True : Truth::False;
}

Truth from_bool(bool b) { return b ? Truth::True : Truth::False; }

}  // namespace

namespace {

template <typename View>
Truth test_condition_t(const CExpr& e, const View& view, const KnowledgeBase& kb) {
  switch (e.op) {
    case Op::And: {
      Truth a = test_condition_t(e.kids[0], view, kb);
      if (a == Truth::False) return a;
      Truth b = test_condition_t(e.kids[1], view, kb);
      if (b == Truth::False) return b;
      return (a == Truth::True && b == Truth::True) ? Truth::True : Truth::Unknown;
    }
    case Op::Or: {
      Truth a = test_condition_t(e.kids[0], view, kb);
      if (a == Truth::True) return a;
      Truth b = test_condition_t(e.kids[1], view, kb);
      if (b == Truth::True) return b;
      return (a == Truth::False && b == Truth::False) ? Truth::False : Truth::Unknown;
    }
    case Op::Not: {
      Truth a = test_condition_t(e.kids[0], view, kb);
      return a == Truth::Unknown ? a : from_bool(a == Truth::False);
    }
    case Op::Truthy: {
      std::optional<Value> t;
      return truth(operand(e.kids[0], view, kb, t));
    }
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      std::optional<Value> t1, t2;
      const Value& a = operand(e.kids[0], view, kb, t1);
      if (a.kind != Value::Kind::Number) return Truth::Unknown;
      const Value& b = operand(e.kids[1], view, kb, t2);
      if (b.kind != Value::Kind::Number) return Truth::Unknown;
      switch (e.op) {
        case Op::Lt: return from_bool(a.num < b.num);
        case Op::Le: return from_bool(a.num <= b.num);
        case Op::Gt: return from_bool(a.num > b.num);
        default: return from_bool(a.num >= b.num);
      }
    }
    case Op::Eq:
    case Op::Ne: {
      std::optional<Value> t1, t2;
      const Value& a = operand(e.kids[0], view, kb, t1);
      if (a.is_missing()) return Truth::Unknown;
      const Value& b = operand(e.kids[1], view, kb, t2);
      if (b.is_missing()) return Truth::Unknown;
      return from_bool(values_equal(a, b) == (e.op == Op::Eq));
    }
    case Op::In:
    case Op::NotIn: {
      std::optional<Value> t1, t2;
      const Value& a = operand(e.kids[0], view, kb, t1);
      if (a.is_missing()) return Truth::Unknown;
      const Value& c = operand(e.kids[1], view, kb, t2);
      if (c.is_missing()) return Truth::Unknown;
      bool in = c.kind == Value::Kind::Range ? (a.kind == Value::Kind::Number && a.num >= c.num && a.num <= c.hi)
                                             : list_has(c, a);
      return from_bool(in == (e.op == Op::In));
    }
    case Op::Contains:
    case Op::NotContains: {
      std::optional<Value> t1, t2;
      const Value& l = operand(e.kids[0], view, kb, t1);
      if (l.is_missing()) return Truth::Unknown;
      const Value& x = operand(e.kids[1], view, kb, t2);
      if (x.is_missing()) return Truth::Unknown;
      return from_bool(list_has(l, x) == (e.op == Op::Contains));
    }
    case Op::Between: {
      std::optional<Value> t1, t2, t3;
      const Value& v = operand(e.kids[0], view, kb, t1);
      const Value& lo = operand(e.kids[1], view, kb, t2);
      const Value& hi = operand(e.kids[2], view, kb, t3);
      if (v.kind != Value::Kind::Number || lo.kind != Value::Kind::Number || hi.kind != Value::Kind::Number)
        return Truth::Unknown;
      return from_bool(v.num >= lo.num && v.num <= hi.num);
    }
    case Op::IsMissing:
    case Op::IsPresent: {
      std::optional<Value> t;
      bool missing = operand(e.kids[0], view, kb, t).is_missing();
      return from_bool(missing == (e.op == Op::IsMissing));
    }
    default: return truth(evaluate_expr(e, view, kb));
  }
}

}  // namespace

Truth test_condition(const CExpr& e, const ValueView& view, const KnowledgeBase& kb) {
  return test_condition_t(e, view, kb);
}

std::string render_template(const TextTemplate& t, const ValueView& view, const KnowledgeBase& kb, bool labels) {
  std::string out;
  for (const auto& seg : t.segments) {
    if (!seg.is_expr) {
      out += seg.literal;
    } else {
      Value v = evaluate_expr(seg.expr, view, kb);
      out += labels ? kb.label(v) : kb.display(v);
    }
  }
  return out;
}

// ---------------------------------------------------------------- engine

Engine::Engine(std::shared_ptr<const RuleSet> rules) : rules_(std::move(rules)) {
  const auto& rs = rules_->rules;
  by_rank_.resize(rs.size());
  std::iota(by_rank_.begin(), by_rank_.end(), 0);
  // Agenda order: priority (higher first), specificity (more tests first), source order.
  std::stable_sort(by_rank_.begin(), by_rank_.end(), [&](std::int32_t a, std::int32_t b) {
    const CRule& ra = rs[static_cast<std::size_t>(a)];
    const CRule& rb = rs[static_cast<std::size_t>(b)];
    if (ra.priority != rb.priority) return ra.priority > rb.priority;
    if (ra.specificity != rb.specificity) return ra.specificity > rb.specificity;
    return ra.index < rb.index;
  });
  rank_.resize(rs.size());
  for (std::size_t r = 0; r < by_rank_.size(); ++r) rank_[static_cast<std::size_t>(by_rank_[r])] = static_cast<std::int32_t>(r);
}

namespace {

class CurrentView final : public ValueView {
 public:
  explicit CurrentView(const Result& r) : r_(r) {}
  const Value& get(std::int32_t slot) const override { return r_.value(slot); }

 private:
  const Result& r_;
};

// Who set each scalar conclusion or map entry, with what priority.
struct Setter {
  std::int32_t slot;
  Value key;  // Missing for whole-slot sets
  std::int32_t firing;
  int priority;
};

class Run {
 public:
  Run(const Engine& engine, const std::vector<std::int32_t>& by_rank, const std::vector<std::int32_t>& rank,
      Result& r, const EngineOptions& opt)
      : rs_(engine.rules()), by_rank_(by_rank), rank_(rank), r_(r), opt_(opt), view_(r) {}

  void go() {
    std::size_t n = rs_.rules.size();
    last_fired_.assign(n, -1);
    agenda_.assign((n + 63) / 64, 0);
    dirty_.assign(n, 1);
    dirty_list_.resize(n);
    std::iota(dirty_list_.begin(), dirty_list_.end(), 0);
    while (true) {
      refresh();
      std::int32_t pick = first_active();
      if (pick < 0) break;
      // The guard counts repeat firings only: each rule fires a first time at
      // most once, so a large rule set that does not loop never reaches it.
      bool repeat = last_fired_[static_cast<std::size_t>(pick)] >= 0;
      if (repeat && repeats_ >= opt_.max_firings) {
        runaway();
        break;
      }
      if (repeat) ++repeats_;
      fire(pick);
    }
  }

 private:
  const RuleSet& rs_;
  const std::vector<std::int32_t>& by_rank_;
  const std::vector<std::int32_t>& rank_;
  Result& r_;
  const EngineOptions& opt_;
  CurrentView view_;
  std::vector<std::int32_t> last_fired_;  // rule -> its last firing index
  std::int32_t repeats_ = 0;              // firings of rules that had fired before
  std::vector<std::uint64_t> agenda_;     // bit per rank: the rule is active
  std::vector<char> dirty_;
  std::vector<std::int32_t> dirty_list_;
  std::vector<Setter> setters_;
  std::unordered_map<std::string, std::size_t> rec_index_;               // recommendation id -> index
  std::unordered_map<std::int32_t, std::vector<std::int32_t>> messages_of_;  // rule -> its messages

  void set_active(std::int32_t rule, bool on) {
    auto rk = static_cast<std::size_t>(rank_[static_cast<std::size_t>(rule)]);
    if (on) {
      agenda_[rk / 64] |= (std::uint64_t{1} << (rk % 64));
    } else {
      agenda_[rk / 64] &= ~(std::uint64_t{1} << (rk % 64));
    }
  }

  std::int32_t first_active() const {
    for (std::size_t w = 0; w < agenda_.size(); ++w) {
      if (agenda_[w]) {
        auto bit = static_cast<std::size_t>(__builtin_ctzll(agenda_[w]));
        return by_rank_[w * 64 + bit];
      }
    }
    return -1;
  }

  // Refraction: the rule already fired with exactly the current versions of what it reads.
  bool refracted(std::int32_t rule) const {
    std::int32_t last = last_fired_[static_cast<std::size_t>(rule)];
    if (last < 0) return false;
    const CRule& cr = rs_.rules[static_cast<std::size_t>(rule)];
    const Firing& f = r_.firings[static_cast<std::size_t>(last)];
    for (std::size_t i = 0; i < cr.reads.size(); ++i)
      if (f.read[i] != r_.current[static_cast<std::size_t>(cr.reads[i])]) return false;
    return true;
  }

  void refresh() {
    for (std::int32_t rule : dirty_list_) {
      dirty_[static_cast<std::size_t>(rule)] = 0;
      const CRule& cr = rs_.rules[static_cast<std::size_t>(rule)];
      bool on = test_condition_t(cr.condition, view_, *rs_.kb) == Truth::True && !refracted(rule);
      set_active(rule, on);
    }
    dirty_list_.clear();
  }

  void touched(std::int32_t slot) {
    for (std::int32_t rule : rs_.readers[static_cast<std::size_t>(slot)]) {
      if (!dirty_[static_cast<std::size_t>(rule)]) {
        dirty_[static_cast<std::size_t>(rule)] = 1;
        dirty_list_.push_back(rule);
      }
    }
  }

  void write(std::int32_t slot, Value v, std::int32_t firing) {
    Firing& f = r_.firings[static_cast<std::size_t>(firing)];
    std::int32_t before = r_.current[static_cast<std::size_t>(slot)];
    r_.facts.push_back({slot, std::move(v), {Evidence::Kind::Derived, firing}, before});
    std::int32_t after = static_cast<std::int32_t>(r_.facts.size() - 1);
    r_.current[static_cast<std::size_t>(slot)] = after;
    f.changes.push_back({slot, before, after});
    touched(slot);
  }

  // Decides whether `firing` (of priority `prio`) may set slot[key] to v.
  bool claim(std::int32_t slot, const Value& key, const Value& v, const Value& old, std::int32_t firing, int prio) {
    for (Setter& s : setters_) {
      if (s.slot != slot || !(s.key == key)) continue;
      if (old == v) {
        s.firing = firing;  // agrees; the latest rule to confirm it is recorded
        return false;
      }
      const Firing& prev = r_.firings[static_cast<std::size_t>(s.firing)];
      bool same_rule = prev.rule == r_.firings[static_cast<std::size_t>(firing)].rule;
      if (same_rule || prio > s.priority) {
        if (!same_rule) r_.conflicts.push_back({slot, key, v, old, firing, s.firing, false});
        s.firing = firing;
        s.priority = prio;
        return true;
      }
      r_.conflicts.push_back({slot, key, old, v, s.firing, firing, prio == s.priority});
      return false;
    }
    setters_.push_back({slot, key, firing, prio});
    return !(old == v);
  }

  void fire(std::int32_t rule) {
    const CRule& cr = rs_.rules[static_cast<std::size_t>(rule)];
    auto fi = static_cast<std::int32_t>(r_.firings.size());
    Firing f;
    f.rule = rule;
    f.read.reserve(cr.reads.size());
    for (std::int32_t s : cr.reads) f.read.push_back(r_.current[static_cast<std::size_t>(s)]);
    f.facts_before = static_cast<std::int32_t>(r_.facts.size());
    r_.firings.push_back(std::move(f));
    last_fired_[static_cast<std::size_t>(rule)] = fi;
    set_active(rule, false);

    for (const CAction& a : cr.actions) {
      switch (a.kind) {
        case ast::ActionKind::Set: {
          Value v = evaluate_expr(a.value, view_, *rs_.kb);
          if (v.is_missing()) break;  // nothing known to set
          const Value& cur = r_.value(a.slot);
          if (a.indexed) {
            Value key = evaluate_expr(a.key, view_, *rs_.kb);
            if (key.is_missing()) break;
            Value old = cur.map_get(key);
            if (!claim(a.slot, key, v, old, fi, cr.priority)) break;
            ValueList pairs = cur.list_items();
            bool found = false;
            for (std::size_t i = 0; i + 1 < pairs.size(); i += 2)
              if (pairs[i] == key) {
                pairs[i + 1] = v;
                found = true;
              }
            if (!found) {
              pairs.push_back(key);
              pairs.push_back(v);
            }
            write(a.slot, Value::map(std::move(pairs)), fi);
          } else {
            if (!claim(a.slot, Value{}, v, cur, fi, cr.priority)) break;
            write(a.slot, std::move(v), fi);
          }
          break;
        }
        case ast::ActionKind::Add: {
          Value v = evaluate_expr(a.value, view_, *rs_.kb);
          if (v.is_missing()) break;
          ValueList add = a.add_each ? v.list_items() : ValueList{v};
          if (a.indexed) {
            Value key = evaluate_expr(a.key, view_, *rs_.kb);
            if (key.is_missing()) break;
            const Value& cur = r_.value(a.slot);
            Value list = cur.map_get(key);
            ValueList items = list.list_items();
            bool changed = false;
            for (Value& x : add)
              if (std::find(items.begin(), items.end(), x) == items.end()) {
                items.push_back(x);
                changed = true;
              }
            if (!changed && !list.is_missing()) break;
            ValueList pairs = cur.list_items();
            bool found = false;
            for (std::size_t i = 0; i + 1 < pairs.size(); i += 2)
              if (pairs[i] == key) {
                pairs[i + 1] = Value::list(items);
                found = true;
              }
            if (!found) {
              pairs.push_back(key);
              pairs.push_back(Value::list(std::move(items)));
            }
            write(a.slot, Value::map(std::move(pairs)), fi);
          } else {
            const Value& cur = r_.value(a.slot);
            ValueList items = cur.list_items();
            bool changed = cur.is_missing();
            for (Value& x : add)
              if (std::find(items.begin(), items.end(), x) == items.end()) {
                items.push_back(x);
                changed = true;
              }
            if (changed) write(a.slot, Value::list(std::move(items)), fi);
          }
          break;
        }
        case ast::ActionKind::Recommend: {
          std::string text = a.text.segments.empty() ? cr.description : render_template(a.text, view_, *rs_.kb);
          // One recommendation per id, found by index (not by a scan: a
          // rule set may make hundreds of thousands).
          auto [it, fresh] = rec_index_.try_emplace(a.id, r_.recommendations.size());
          if (fresh) {
            r_.recommendations.push_back({a.id, a.category, std::move(text), rule, fi, {}});
            break;
          }
          Recommendation& rec = r_.recommendations[it->second];
          if (rec.rule == rule) {
            rec.text = std::move(text);  // the same rule, fired again on newer facts
            rec.firing = fi;
          } else if (std::find(rec.also_by.begin(), rec.also_by.end(), rule) == rec.also_by.end()) {
            rec.also_by.push_back(rule);
          }
          break;
        }
        case ast::ActionKind::Note:
        case ast::ActionKind::Warn: {
          std::string text = render_template(a.text, view_, *rs_.kb);
          Message::Kind k = a.kind == ast::ActionKind::Note ? Message::Kind::Note : Message::Kind::Warning;
          // The same text from the same rule once: only this rule's messages are compared.
          std::vector<std::int32_t>& mine = messages_of_[rule];
          bool dup = std::any_of(mine.begin(), mine.end(), [&](std::int32_t m) {
            const Message& old = r_.messages[static_cast<std::size_t>(m)];
            return old.kind == k && old.text == text;
          });
          if (!dup) {
            mine.push_back(static_cast<std::int32_t>(r_.messages.size()));
            r_.messages.push_back({k, std::move(text), rule, fi});
          }
          break;
        }
        case ast::ActionKind::Cite: {
          Value v = evaluate_expr(a.value, view_, *rs_.kb);
          if (v.is_missing()) break;
          ValueList figs = a.add_each ? v.list_items() : ValueList{v};
          for (const Value& x : figs) {
            bool dup = std::any_of(r_.citations.begin(), r_.citations.end(),
                                   [&](const Citation& c) { return c.figure == x.sym; });
            if (!dup) r_.citations.push_back({x.sym, fi});
          }
          break;
        }
      }
    }
  }

  void runaway() {
    // The rules that fired most in the last stretch, and the facts they changed.
    std::size_t window = std::min<std::size_t>(r_.firings.size(), 100);
    std::map<std::int32_t, int> count;
    std::map<std::int32_t, int> slots;
    for (std::size_t i = r_.firings.size() - window; i < r_.firings.size(); ++i) {
      count[r_.firings[i].rule]++;
      for (const Change& c : r_.firings[i].changes) slots[c.slot]++;
    }
    RunawayError e;
    e.limit = opt_.max_firings;
    for (auto [rule, c] : count)
      if (c >= 2) e.rules.push_back(rule);
    for (auto [slot, c] : slots)
      if (c >= 2) e.slots.push_back(slot);
    auto rule_text = [&](std::int32_t rl) {
      const CRule& cr = rs_.rules[static_cast<std::size_t>(rl)];
      return "`" + cr.name + "` (" + rs_.where(cr.loc) + ")";
    };
    std::string names, facts;
    for (std::int32_t rl : e.rules) names += (names.empty() ? "" : ", ") + rule_text(rl);
    for (std::int32_t s : e.slots) facts += (facts.empty() ? "" : ", ") + ("`" + rs_.slot_name(s) + "`");
    e.message = "evaluation stopped at the limit of " + std::to_string(opt_.max_firings) + " repeated firings (" +
                std::to_string(r_.firings.size()) + " firings in all): ";
    if (!e.rules.empty()) {
      e.message += "the rules " + names + " keep firing" +
                   (facts.empty() ? std::string() : " and keep changing " + facts) +
                   "; make their conditions exclusive, or test that the conclusion is not already set";
    } else {
      // No rule fired twice lately: many different rules fired again. Name
      // those that fired most over the whole run (ties in source order).
      std::map<std::int32_t, int> all;
      for (const Firing& f : r_.firings) all[f.rule]++;
      std::vector<std::pair<std::int32_t, int>> most;
      for (auto [rule, c] : all)
        if (c >= 2) most.emplace_back(rule, c);
      std::stable_sort(most.begin(), most.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      std::size_t again = most.size();
      if (most.size() > 5) most.resize(5);
      std::string top;
      for (auto [rule, c] : most) {
        e.rules.push_back(rule);
        top += (top.empty() ? "" : ", ") + rule_text(rule) + " " + std::to_string(c) + " times";
      }
      e.message += "the limit was reached by " + std::to_string(again) + " different rules firing again, most often " +
                   top + "; if the rules do not loop, raise the limit (`--max-firings`)";
    }
    r_.runaway = std::move(e);
  }
};

}  // namespace

Result Engine::evaluate(const Profile& profile, const EngineOptions& options) const {
  Result r;
  r.rules = rules_;
  r.profile_source = profile.source;
  auto slots = static_cast<std::size_t>(rules_->slot_count());
  r.current.assign(slots, -1);
  r.facts.reserve(slots + 32);
  for (std::size_t i = 0; i < profile.values.size() && i < slots; ++i) {
    if (profile.values[i].is_missing()) continue;
    r.facts.push_back({static_cast<std::int32_t>(i), profile.values[i], {Evidence::Kind::Given, -1}});
    r.current[i] = static_cast<std::int32_t>(r.facts.size() - 1);
  }
  Run run(*this, by_rank_, rank_, r, options);
  run.go();
  return r;
}

}  // namespace advise
