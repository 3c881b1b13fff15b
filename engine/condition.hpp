// Internal to engine/: the truth of a condition, tested without building
// Values for operands that already exist (the agenda's hot path). A header so
// that the engine instantiates it with its own final view class, whose get()
// then inlines; evaluate.cpp instantiates it for any ValueView.
#pragma once

#include <optional>

#include "engine/engine.hpp"

namespace advise::detail {

inline const Value kMissingValue{};

// Equality with the scalar kinds inline (the conditions' usual case).
// Inlined always: left to the heuristics, two instantiations of
// test_condition_t (the engine's views) made GCC call them out of line.
[[gnu::always_inline]] inline bool values_equal(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Value::Kind::Symbol: return a.sym == b.sym && a.enum_id == b.enum_id;
    case Value::Kind::Number: return a.num == b.num;
    case Value::Kind::Bool: return a.flag == b.flag;
    default: return a == b;
  }
}

// Value's operator== with texts compared inline (a map's keys are usually texts).
[[gnu::always_inline]] inline bool list_has(const Value& list, const Value& x) {
  for (const Value& v : list.list_items())
    if (values_equal(v, x)) return true;
  return false;
}

template <typename View>
const Value& map_entry(const CExpr& e, const View& view, const KnowledgeBase& kb, std::optional<Value>& tmp);

// `tmp` holds a computed operand; it stays empty (nothing to construct or
// destroy) for facts, constants and knowledge-base data, the usual case.
// View: ValueView, or a final class derived from it, whose get() then inlines.
template <typename View>
const Value& operand(const CExpr& e, const View& view, const KnowledgeBase& kb, std::optional<Value>& tmp) {
  switch (e.op) {
    case Op::Const: return *e.constant;
    case Op::Slot: return view.get(e.slot);
    case Op::Member: {
      std::optional<Value> base_tmp;
      const Value& base = operand(e.kids[0], view, kb, base_tmp);
      if (base.kind != Value::Kind::Symbol) return kMissingValue;
      return kb.specialties[static_cast<std::size_t>(base.sym)].attributes[static_cast<std::size_t>(e.slot)];
    }
    default:
      // A view over bound facts that can lend a field's value (the matcher's
      // predicates) is read without a copy, and so is a map's entry. (Other
      // views compile to the code they had: the advising path's conditions.)
      if constexpr (requires { view.field_ref(e.level, e.slot); }) {
        if (e.op == Op::FactField) {
          const Value* v = view.field_ref(e.level, e.slot);
          return v ? *v : kMissingValue;
        }
        if (e.op == Op::MapGet) return map_entry(e, view, kb, tmp);
      }
      return tmp.emplace(evaluate_expr(e, view, kb));
  }
}

// `m[k]` as evaluate_expr and Value::map_get give it, without copying the
// map or the key (the matcher's predicates: `program_connections[q.program_id]
// is present`). Apart from operand(), whose frame stays small.
template <typename View>
[[gnu::noinline]] const Value& map_entry(const CExpr& e, const View& view, const KnowledgeBase& kb,
                                         std::optional<Value>& tmp) {
  std::optional<Value> tm, tk;
  const Value& m = operand(e.kids[0], view, kb, tm);
  if (m.is_missing()) return kMissingValue;
  const Value& k = operand(e.kids[1], view, kb, tk);
  if (k.is_missing()) return kMissingValue;
  const Value* v = m.map_find(k);
  if (!v) return kMissingValue;
  return tm ? tmp.emplace(*v) : *v;
}

inline Truth truth(const Value& v) {
  if (v.kind != Value::Kind::Bool) return Truth::Unknown;
  return v.flag ? Truth::True : Truth::False;
}

inline Truth from_bool(bool b) { return b ? Truth::True : Truth::False; }

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
    case Op::Untrue: return from_bool(test_condition_t(e.kids[0], view, kb) != Truth::True);
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

}  // namespace advise::detail
