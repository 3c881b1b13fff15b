// Evaluation of checked expressions over a view of working memory:
// evaluate_expr (values, three-valued), test_condition (truth, through
// engine/condition.hpp) and render_template (the texts of actions).
#include <cmath>

#include "engine/condition.hpp"
#include "engine/engine.hpp"

namespace advise {

using detail::list_has;
using detail::values_equal;

Value evaluate_expr(const CExpr& e, const ValueView& view, const KnowledgeBase& kb) {
  auto ev = [&](std::size_t i) { return evaluate_expr(e.kids[i], view, kb); };
  switch (e.op) {
    case Op::Const: return *e.constant;
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
    case Op::FactField: return view.fact_field(e.level, e.slot);
    case Op::AggValue: return view.aggregate(e.level);
    case Op::Untrue: {
      Value v = ev(0);
      return Value::boolean(!(v.kind == Value::Kind::Bool && v.flag));
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
    case Op::Floor:
    case Op::Abs: {
      Value v = ev(0);
      if (v.kind != Value::Kind::Number) return {};
      return Value::number(e.op == Op::Floor ? std::floor(v.num) : std::fabs(v.num));
    }
    case Op::Atan2: {
      Value y = ev(0), x = ev(1);
      if (y.kind != Value::Kind::Number || x.kind != Value::Kind::Number) return {};
      return Value::number(std::atan2(y.num, x.num));
    }
    case Op::Choose: {
      Truth t = test_condition(e.kids[0], view, kb);
      if (t == Truth::Unknown) return {};
      return ev(t == Truth::True ? 1 : 2);
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

Truth test_condition(const CExpr& e, const ValueView& view, const KnowledgeBase& kb) {
  return detail::test_condition_t(e, view, kb);
}

std::string render_template(const TextTemplate& t, const ValueView& view, const KnowledgeBase& kb, bool labels) {
  // Room for the literal runs and a few bytes a placeholder at once: a text
  // written in parts is a run a part, and growing the string run by run
  // would copy it each time.
  std::size_t room = 0;
  for (const auto& seg : t.segments) room += seg.is_expr() ? 16 : seg.literal.str().size() + 1;
  std::string out;
  out.reserve(room);
  for (const auto& seg : t.segments) {
    if (!seg.is_expr()) {
      seg.literal.append_to(out);
    } else {
      const TextTemplate::Placeholder& p = *seg.place;
      Value v = evaluate_expr(p.expr, view, kb);
      std::string shown = labels ? kb.label(v) : kb.display(v);
      if (!p.counted)
        out += shown;
      else if (v.kind != Value::Kind::Number)
        out += "an unknown number of " + p.plural;
      else
        out += shown + " " + (v.num == 1 ? p.singular : p.plural);
    }
  }
  return out;
}

}  // namespace advise
