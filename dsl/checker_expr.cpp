// The checker: expressions, their types and constant folding.
#include "dsl/checker_impl.hpp"

namespace advise::checker_detail {

// Types that can be compared with ==.
bool Checker::comparable(TypeId a, TypeId b) const {
  if (a == b) return true;
  if (is_numeric(a) && is_numeric(b)) return true;
  if (kind(a) == TypeKind::List && kind(b) == TypeKind::List) {
    return comparable(types().at(a).elem, types().at(b).elem);
  }
  return false;
}

Bounds Checker::bounds_of(const CExpr& c) const {
  Bounds b;
  const FieldDef* def = nullptr;
  if (c.op == Op::Slot) {
    def = c.slot < field_count_ ? &kb_->fields[static_cast<std::size_t>(c.slot)]
                                : &kb_->conclusions[static_cast<std::size_t>(c.slot - field_count_)];
  } else if ((c.op == Op::Min || c.op == Op::Max || c.op == Op::Avg) && !c.kids.empty() &&
             c.kids[0].op == Op::Slot) {
    return bounds_of(c.kids[0]);
  }
  if (def && def->min && def->max) {
    b.known = true;
    b.lo = *def->min;
    b.hi = *def->max;
    b.name = def->name;
  }
  return b;
}

void Checker::check_constant_range(const CExpr& var, const CExpr& constant) {
  if (constant.op != Op::Const || constant.constant->kind != Value::Kind::Number) return;
  Bounds b = bounds_of(var);
  if (!b.known) return;
  double x = constant.constant->num;
  if (x < b.lo || x > b.hi) {
    error(DiagKind::OutOfRange, constant.loc,
          format_number(x) + " is outside the range of `" + b.name + "` (" + format_number(b.lo) + " to " +
              format_number(b.hi) + "), so this test never changes");
  }
}

std::optional<CExpr> Checker::fold(CExpr c) {
  // Constant folding of arithmetic on constants, so that `const x = 240 + 10` is a constant.
  if ((c.op == Op::Add || c.op == Op::Sub || c.op == Op::Mul || c.op == Op::Div || c.op == Op::Neg ||
       c.op == Op::MakeRange || c.op == Op::MakeList) &&
      std::all_of(c.kids.begin(), c.kids.end(), [](const CExpr& k) { return k.op == Op::Const; })) {
    Value v;
    auto n = [&](std::size_t i) { return c.kids[i].constant->num; };
    switch (c.op) {
      case Op::Add: v = Value::number(n(0) + n(1)); break;
      case Op::Sub: v = Value::number(n(0) - n(1)); break;
      case Op::Mul: v = Value::number(n(0) * n(1)); break;
      case Op::Div:
        if (n(1) == 0) {
          error(DiagKind::DivisionByZero, c.kids[1].loc, "`" + src(c.loc) + "` divides by zero");
          return std::nullopt;
        }
        v = Value::number(n(0) / n(1));
        break;
      case Op::Neg: v = Value::number(-n(0)); break;
      case Op::MakeRange: v = Value::range(n(0), n(1)); break;
      case Op::MakeList: {
        ValueList items;
        for (const CExpr& k : c.kids) items.push_back(*k.constant);
        v = Value::list(std::move(items));
        break;
      }
      default: break;
    }
    return make_const(std::move(v), c.type, c.loc);
  }
  return c;
}

// floor(x), abs(x), atan2(y, x) over numbers, and choose(c, a, b): a value
// picked by a condition (unknown when the condition is).
std::optional<CExpr> Checker::number_call(const ast::Expr& e, TypeId expected) {
  const std::string& f = e.text;
  std::size_t arity = f == "atan2" ? 2 : f == "choose" ? 3 : 1;
  if (e.kids.size() != arity) {
    static const char* const counts[] = {"", "one argument", "two arguments", "three arguments"};
    error(DiagKind::WrongArity, e.loc,
          "`" + f + "` takes " + counts[arity] + ", but is given " + std::to_string(e.kids.size()));
    return std::nullopt;
  }
  CExpr c;
  c.loc = e.loc;
  if (f == "choose") {
    auto cond = condition(e.kids[0]);
    auto a = expr(e.kids[1], expected);
    auto b = expr(e.kids[2], a ? a->type : expected);
    if (!cond || !a || !b) return std::nullopt;
    if (!comparable(a->type, b->type)) {
      error(DiagKind::TypeMismatch, e.kids[2].loc,
            "`" + src(e.kids[2].loc) + "` is " + article(b->type) + ", but the other value of `choose` is " +
                article(a->type));
      return std::nullopt;
    }
    c.op = Op::Choose;
    c.type = a->type == b->type ? a->type : types().number();
    c.kids.take(std::move(*cond), std::move(*a), std::move(*b));
    return c;
  }
  for (const ast::Expr& k : e.kids) {
    auto n = numeric_operand(k, ("`" + f + "`").c_str());
    if (!n) return std::nullopt;
    c.kids.push_back(std::move(*n));
  }
  c.op = f == "floor" ? Op::Floor : f == "abs" ? Op::Abs : Op::Atan2;
  c.type = f == "floor" ? types().integer() : f == "abs" ? c.kids[0].type : types().number();
  return c;
}

std::optional<CExpr> Checker::numeric_operand(const ast::Expr& e, const char* role) {
  auto c = expr(e, kNoType);
  if (!c) return std::nullopt;
  if (!is_numeric(c->type)) {
    error(DiagKind::TypeMismatch, e.loc,
          "`" + src(e.loc) + "` is " + article(c->type) + ", but " + role + " needs a number");
    return std::nullopt;
  }
  return c;
}

// "; its values are `a`, `b` and `c`" for a small enum, or nothing.
std::string Checker::values_of(TypeId t) const {
  if (kind(t) != TypeKind::Enum) return {};
  const EnumDef& en = kb_->enums[static_cast<std::size_t>(types().at(t).enum_id)];
  if (en.values.empty() || en.values.size() > 8) return {};
  std::string out = "; its values are ";
  for (std::size_t i = 0; i < en.values.size(); ++i)
    out += std::string(i == 0 ? "" : i + 1 == en.values.size() ? " and " : ", ") + "`" + en.values[i] + "`";
  return out;
}

// " (the categories are `a`, `b`, ...)" from kb/schema.json.
std::string Checker::category_list() const {
  const EnumDef& cats = kb_->enums[static_cast<std::size_t>(kb_->category_enum)];
  std::string out = " (the categories are ";
  for (std::size_t i = 0; i < cats.values.size(); ++i)
    out += std::string(i == 0 ? "" : i + 1 == cats.values.size() ? " and " : ", ") + "`" + cats.values[i] + "`";
  return out + ")";
}

std::string Checker::article(TypeId t) const {
  if (t == kNoType) return "a value";
  std::string n = tname(t);
  const char* a = (n[0] == 'a' || n[0] == 'e' || n[0] == 'i' || n[0] == 'o' || n[0] == 'u') ? "an " : "a ";
  if (kind(t) == TypeKind::Enum) return a + n + " value";
  return a + n;
}

// Compiles the two operands of a binary test so that a bare name on either
// side is read as a value of the other side's enum.
bool Checker::operands(const ast::Expr& l, const ast::Expr& r, std::optional<CExpr>& lc, std::optional<CExpr>& rc,
              bool rhs_collection) {
  bool l_bare = l.kind == ast::ExprKind::Name && !known_name(l.text);
  if (l_bare && !rhs_collection) {
    rc = expr(r, kNoType);
    if (!rc) return false;
    lc = expr(l, rc->type);
  } else {
    lc = expr(l, kNoType);
    if (!lc) {
      report_only(r);  // still report problems on the right
      return false;
    }
    TypeId want = lc->type;
    if (rhs_collection) want = mtypes().list_of(lc->type);
    rc = expr(r, want);
  }
  return lc && rc;
}

bool Checker::known_name(const std::string& n) const {
  return defs_.count(n) || kb_->conclusion_index(n) >= 0 || kb_->field_index(n) >= 0 || kb_->group(n) ||
         kb_->standard(n) || kb_->alias(n) || bound(n);
}

// One method per kind of expression, defined below in the order of the cases;
// literals need none, and names have theirs in dsl/checker_names.cpp.
std::optional<CExpr> Checker::expr(const ast::Expr& e, TypeId expected) {
  using K = ast::ExprKind;
  switch (e.kind) {
    case K::Number: return make_const(Value::number(e.number), types().number(), e.loc);
    case K::String: return make_const(Value::string(e.text), types().string(), e.loc);
    case K::Bool: return make_const(Value::boolean(e.number != 0), types().boolean(), e.loc);
    case K::Name: return name(e, expected);
    case K::List:
    case K::Set: return list_literal(e, expected);
    case K::Range: return range_literal(e);
    case K::Neg: return negation(e);
    case K::Arith: return arithmetic(e);
    case K::Not: return not_condition(e);
    case K::And:
    case K::Or: return and_or(e);
    case K::Compare: return comparison(e);
    case K::In: return in_test(e);
    case K::Contains: return contains_test(e);
    case K::Between: return between_test(e);
    case K::Missing: return missing_test(e);
    case K::Call: return function_call(e, expected);
    case K::ForEach:
    case K::Exists:
    case K::NotExists:
    case K::Every: return misplaced_pattern(e);
    case K::Aggregate: return aggregate_value(e);
    case K::Member: return member_access(e);
    case K::Index: return map_index(e);
  }
  return std::nullopt;
}

// a list `[...]` or a group `{...}`
std::optional<CExpr> Checker::list_literal(const ast::Expr& e, TypeId expected) {
  CExpr c;
  c.loc = e.loc;
  TypeId elem = kNoType;
  if (expected != kNoType && kind(expected) == TypeKind::List) elem = types().at(expected).elem;
  c.op = Op::MakeList;
  bool ok = true;
  for (const ast::Expr& k : e.kids) {
    auto kc = expr(k, elem);
    if (!kc) {
      ok = false;
      continue;
    }
    if (elem == kNoType) {
      elem = kc->type;
    } else if (!comparable(elem, kc->type)) {
      error(DiagKind::TypeMismatch, k.loc, "`" + src(k.loc) + "` is " + article(kc->type) +
                                               ", but this list holds " + tname(elem) + " values");
      ok = false;
      continue;
    }
    c.kids.push_back(std::move(*kc));
  }
  if (!ok) return std::nullopt;
  c.type = mtypes().list_of(elem == kNoType ? types().any() : elem);
  return fold(std::move(c));
}

// a range `a..b`
std::optional<CExpr> Checker::range_literal(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  auto lo = numeric_operand(e.kids[0], "a range");
  auto hi = numeric_operand(e.kids[1], "a range");
  if (!lo || !hi) return std::nullopt;
  c.op = Op::MakeRange;
  c.type = types().range();
  c.kids.take(std::move(*lo), std::move(*hi));
  return fold(std::move(c));
}

// `-x`
std::optional<CExpr> Checker::negation(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  auto k = numeric_operand(e.kids[0], "`-`");
  if (!k) return std::nullopt;
  c.op = Op::Neg;
  c.type = k->type;
  c.kids.take(std::move(*k));
  return fold(std::move(c));
}

// `a + b`, `a - b`, `a * b`, `a / b`
std::optional<CExpr> Checker::arithmetic(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  auto a = numeric_operand(e.kids[0], "arithmetic");
  auto b = numeric_operand(e.kids[1], "arithmetic");
  if (!a || !b) return std::nullopt;
  c.op = e.text == "+" ? Op::Add : e.text == "-" ? Op::Sub : e.text == "*" ? Op::Mul : Op::Div;
  c.type = (c.op != Op::Div && kind(a->type) == TypeKind::Integer && kind(b->type) == TypeKind::Integer)
               ? types().integer()
               : types().number();
  if (c.op == Op::Div && b->op == Op::Const && b->constant->num == 0) {
    error(DiagKind::DivisionByZero, e.kids[1].loc, "`" + src(e.loc) + "` divides by zero");
    return std::nullopt;
  }
  c.kids.take(std::move(*a), std::move(*b));
  return fold(std::move(c));
}

// `not C`: three-valued (see docs/language.md)
std::optional<CExpr> Checker::not_condition(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  auto k = condition(e.kids[0]);
  if (!k) return std::nullopt;
  c.op = Op::Not;
  c.type = types().boolean();
  c.kids.take(std::move(*k));
  return c;
}

// `C and D`, `C or D`
std::optional<CExpr> Checker::and_or(const ast::Expr& e) {
  using K = ast::ExprKind;
  CExpr c;
  c.loc = e.loc;
  auto a = condition(e.kids[0]);
  auto b = condition(e.kids[1]);
  if (!a || !b) return std::nullopt;
  c.op = e.kind == K::And ? Op::And : Op::Or;
  c.type = types().boolean();
  c.kids.take(std::move(*a), std::move(*b));
  return c;
}

// `a < b`, `a == b` and the other comparisons
std::optional<CExpr> Checker::comparison(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  ++tests_;
  std::optional<CExpr> a, b;
  if (!operands(e.kids[0], e.kids[1], a, b, false)) return std::nullopt;
  const std::string& op = e.text;
  bool ordering = op != "==" && op != "!=";
  if (ordering) {
    if (!is_numeric(a->type) || !is_numeric(b->type)) {
      const ast::Expr& bad = is_numeric(a->type) ? e.kids[1] : e.kids[0];
      TypeId bt = is_numeric(a->type) ? b->type : a->type;
      auto& d = error(DiagKind::TypeMismatch, bad.loc,
                      "`" + op + "` compares numbers, but `" + src(bad.loc) + "` is " + article(bt));
      if (kind(bt) == TypeKind::Enum || kind(bt) == TypeKind::Boolean)
        d.message += "; test it with `is`, `is not` or `in`";
      return std::nullopt;
    }
  } else if (!comparable(a->type, b->type)) {
    auto& d = error(DiagKind::TypeMismatch, e.kids[1].loc,
                    "cannot compare `" + src(e.kids[0].loc) + "` (" + article(a->type) + ") with `" +
                        src(e.kids[1].loc) + "` (" + article(b->type) + ")");
    if (is_bool(a->type) != is_bool(b->type))
      d.message += "; a yes-or-no fact is compared with `true` or `false`";
    else
      d.message += values_of(a->type);
    return std::nullopt;
  }
  check_constant_range(*a, *b);
  check_constant_range(*b, *a);
  c.op = op == "<" ? Op::Lt : op == "<=" ? Op::Le : op == ">" ? Op::Gt : op == ">=" ? Op::Ge
       : op == "==" ? Op::Eq : Op::Ne;
  c.type = types().boolean();
  c.kids.take(std::move(*a), std::move(*b));
  return c;
}

// `x in G`, `x not in G`
std::optional<CExpr> Checker::in_test(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  ++tests_;
  std::optional<CExpr> a, b;
  const ast::Expr& rhs = e.kids[1];
  if (rhs.kind == ast::ExprKind::Name && !known_name(rhs.text)) {
    a = expr(e.kids[0], kNoType);
    if (!a) return std::nullopt;
    if (kind(a->type) == TypeKind::Enum &&
        kb_->enums[static_cast<std::size_t>(types().at(a->type).enum_id)].find(rhs.text) >= 0) {
      error(DiagKind::TypeMismatch, rhs.loc,
            "`" + rhs.text + "` is one " + tname(a->type) + " value, not a group; write `" + src(e.kids[0].loc) +
                (e.number != 0 ? " is not " : " is ") + rhs.text + "`");
    } else {
      unknown_group(rhs);
    }
    return std::nullopt;
  }
  if (!operands(e.kids[0], e.kids[1], a, b, true)) return std::nullopt;
  bool ok = false;
  if (kind(b->type) == TypeKind::Range) {
    ok = is_numeric(a->type);
    if (ok && b->op == Op::Const) {
      check_constant_range(*a, make_const(Value::number(b->constant->num), types().number(), e.kids[1].loc));
      check_constant_range(*a, make_const(Value::number(b->constant->hi), types().number(), e.kids[1].loc));
    }
  } else if (kind(b->type) == TypeKind::List) {
    TypeId elem = types().at(b->type).elem;
    ok = comparable(a->type, elem) || elem == types().any();
  }
  if (!ok) {
    error(DiagKind::TypeMismatch, e.kids[1].loc,
          "`in` needs a group, list or range of " + tname(a->type) + " values, but `" + src(e.kids[1].loc) +
              "` is " + article(b->type));
    return std::nullopt;
  }
  c.op = e.number != 0 ? Op::NotIn : Op::In;
  c.type = types().boolean();
  c.kids.take(std::move(*a), std::move(*b));
  return c;
}

// `L contains x`, `L does not contain x`
std::optional<CExpr> Checker::contains_test(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  ++tests_;
  auto a = expr(e.kids[0], kNoType);
  if (!a) return std::nullopt;
  if (kind(a->type) != TypeKind::List) {
    error(DiagKind::TypeMismatch, e.kids[0].loc,
          "`contains` tests a list, but `" + src(e.kids[0].loc) + "` is " + article(a->type));
    return std::nullopt;
  }
  TypeId elem = types().at(a->type).elem;
  auto b = expr(e.kids[1], elem);
  if (!b) return std::nullopt;
  if (!comparable(elem, b->type)) {
    error(DiagKind::TypeMismatch, e.kids[1].loc,
          "`" + src(e.kids[0].loc) + "` holds " + tname(elem) + " values, but `" + src(e.kids[1].loc) +
              "` is " + article(b->type));
    return std::nullopt;
  }
  c.op = e.number != 0 ? Op::NotContains : Op::Contains;
  c.type = types().boolean();
  c.kids.take(std::move(*a), std::move(*b));
  return c;
}

// `x between a and b`
std::optional<CExpr> Checker::between_test(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  ++tests_;
  auto v = numeric_operand(e.kids[0], "`between`");
  auto lo = numeric_operand(e.kids[1], "`between`");
  auto hi = numeric_operand(e.kids[2], "`between`");
  if (!v || !lo || !hi) return std::nullopt;
  check_constant_range(*v, *lo);
  check_constant_range(*v, *hi);
  c.op = Op::Between;
  c.type = types().boolean();
  c.kids.take(std::move(*v), std::move(*lo), std::move(*hi));
  return c;
}

// `x is missing`, `x is present`
std::optional<CExpr> Checker::missing_test(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  ++tests_;
  auto v = expr(e.kids[0], kNoType);
  if (!v) return std::nullopt;
  c.op = e.number != 0 ? Op::IsPresent : Op::IsMissing;
  c.type = types().boolean();
  c.kids.take(std::move(*v));
  return c;
}

// a function call `f(...)`
std::optional<CExpr> Checker::function_call(const ast::Expr& e, TypeId expected) {
  CExpr c;
  c.loc = e.loc;
  static const std::vector<std::string> fns = {"min",   "max", "avg",   "sum",   "count",
                                               "len",   "floor", "abs", "atan2", "choose"};
  const std::string& f = e.text;
  if (f == "floor" || f == "abs" || f == "atan2" || f == "choose") return number_call(e, expected);
  if (std::find(fns.begin(), fns.end(), f) == fns.end()) {
    auto& d = error(DiagKind::UnknownFunction, ast::Loc{e.loc.file, e.loc.begin, e.loc.begin + static_cast<std::uint32_t>(f.size())},
                    "unknown function `" + f + "`");
    if (auto s = did_you_mean(f, fns)) {
      d.message += "; did you mean `" + *s + "`?";
    } else {
      d.message += " (the functions are `min`, `max`, `avg`, `sum`, `count`, `len`, `floor`, `abs`, `atan2` and `choose`)";
    }
    return std::nullopt;
  }
  if (e.kids.size() != 1) {
    error(DiagKind::WrongArity, e.loc,
          "`" + f + "` takes one list, but is given " + std::to_string(e.kids.size()) + " arguments");
    return std::nullopt;
  }
  auto a = expr(e.kids[0], kNoType);
  if (!a) return std::nullopt;
  if (kind(a->type) != TypeKind::List) {
    error(DiagKind::TypeMismatch, e.kids[0].loc,
          "`" + f + "` works on a list, but `" + src(e.kids[0].loc) + "` is " + article(a->type));
    return std::nullopt;
  }
  bool counting = f == "count" || f == "len";
  if (!counting && !is_numeric(types().at(a->type).elem)) {
    error(DiagKind::TypeMismatch, e.kids[0].loc,
          "`" + f + "` needs a list of numbers, but `" + src(e.kids[0].loc) + "` is " + article(a->type));
    return std::nullopt;
  }
  c.op = f == "min" ? Op::Min : f == "max" ? Op::Max : f == "avg" ? Op::Avg : f == "sum" ? Op::Sum : Op::Count;
  c.type = counting ? types().integer() : (f == "avg" ? types().number() : types().at(a->type).elem);
  c.kids.take(std::move(*a));
  return c;
}

// a pattern outside the conjuncts of a condition
std::optional<CExpr> Checker::misplaced_pattern(const ast::Expr& e) {
  error(DiagKind::PatternPlacement, e.loc,
        "`" + pattern_words(e) + "` must be a part of the rule's condition joined with `and`, not inside `or`, "
        "`not`, a `where` of `there is`, or an action");
  return std::nullopt;
}

// an aggregate (`the number of ...`), already bound to its level
std::optional<CExpr> Checker::aggregate_value(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  auto it = agg_levels_.find(&e);
  if (it == agg_levels_.end()) {
    error(DiagKind::PatternPlacement, e.loc,
          "an aggregate (`the number of …`) can be used only in a test of a rule's condition, joined with `and`");
    return std::nullopt;
  }
  c.op = Op::AggValue;
  c.level = it->second;
  c.type = e.text == "count" ? types().integer() : types().number();
  return c;
}

// `x.field` (a fact's field), `profile.f`, `s.attribute` (a specialty's)
std::optional<CExpr> Checker::member_access(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  if (e.kids[0].kind == ast::ExprKind::Name) {
    if (const Binding* b = bound(e.kids[0].text)) return fact_field(*b, e);
  }
  // profile.NAME reads the applicant's field even where a conclusion has the same name.
  if (e.kids[0].kind == ast::ExprKind::Name && e.kids[0].text == "profile" && !known_name("profile")) {
    int f = kb_->field_index(e.text);
    if (f < 0) {
      std::vector<std::string> names;
      for (const auto& fd : kb_->fields) names.push_back(fd.name);
      auto& d = error(DiagKind::UnknownName, e.loc, "the profile has no field `" + e.text + "`");
      if (auto s = did_you_mean(e.text, names)) d.message += "; did you mean `" + *s + "`?";
      return std::nullopt;
    }
    return slot_expr(f, e.loc);
  }
  auto base = expr(e.kids[0], mtypes().enum_type(kb_->specialty_enum));
  if (!base) return std::nullopt;
  if (kind(base->type) != TypeKind::Enum || types().at(base->type).enum_id != kb_->specialty_enum) {
    error(DiagKind::TypeMismatch, e.kids[0].loc,
          "`.` reads knowledge-base data about a specialty, but `" + src(e.kids[0].loc) + "` is " +
              article(base->type));
    return std::nullopt;
  }
  int attr = kb_->attribute_index(e.text);
  if (attr < 0) {
    std::vector<std::string> names;
    for (const auto& a : kb_->specialty_attributes) names.push_back(a.name);
    std::uint32_t nb = e.loc.end - static_cast<std::uint32_t>(e.text.size());
    auto& d = error(DiagKind::UnknownMember, ast::Loc{e.loc.file, nb, e.loc.end},
                    "a specialty has no attribute `" + e.text + "`");
    if (auto s = did_you_mean(e.text, names)) d.message += "; did you mean `" + *s + "`?";
    return std::nullopt;
  }
  c.op = Op::Member;
  c.slot = attr;
  c.type = kb_->specialty_attributes[static_cast<std::size_t>(attr)].type;
  c.kids.take(std::move(*base));
  if (c.kids[0].op == Op::Const) {
    // A constant specialty: read the table now.
    const Specialty& s = kb_->specialties[static_cast<std::size_t>(c.kids[0].constant->sym)];
    return make_const(s.attributes[static_cast<std::size_t>(attr)], c.type, e.loc);
  }
  return c;
}

// `m[k]`: a map lookup
std::optional<CExpr> Checker::map_index(const ast::Expr& e) {
  CExpr c;
  c.loc = e.loc;
  auto base = expr(e.kids[0], kNoType);
  if (!base) return std::nullopt;
  if (kind(base->type) != TypeKind::Map) {
    error(DiagKind::TypeMismatch, e.kids[0].loc,
          "`[...]` looks up a map, but `" + src(e.kids[0].loc) + "` is " + article(base->type));
    return std::nullopt;
  }
  auto key = expr(e.kids[1], types().at(base->type).key);
  if (!key) return std::nullopt;
  if (!comparable(key->type, types().at(base->type).key)) {
    error(DiagKind::TypeMismatch, e.kids[1].loc,
          "the keys of `" + src(e.kids[0].loc) + "` are " + tname(types().at(base->type).key) +
              " values, but `" + src(e.kids[1].loc) + "` is " + article(key->type));
    return std::nullopt;
  }
  c.op = Op::MapGet;
  c.type = types().at(base->type).elem;
  c.kids.take(std::move(*base), std::move(*key));
  return c;
}

// An expression used as a condition: boolean, or a boolean fact.
std::optional<CExpr> Checker::condition(const ast::Expr& e) {
  auto c = expr(e, kNoType);
  if (!c) return std::nullopt;
  if (!is_bool(c->type)) {
    error(DiagKind::TypeMismatch, e.loc,
          "`" + src(e.loc) + "` is " + article(c->type) + ", not a condition; compare it with something, as in `" +
              src(e.loc) + (is_numeric(c->type) ? " > 0`" : " is present`"));
    return std::nullopt;
  }
  if (c->op == Op::Slot || c->op == Op::Member || c->op == Op::MapGet || c->op == Op::Const) {
    ++tests_;
    CExpr t;
    t.op = Op::Truthy;
    t.type = types().boolean();
    t.loc = c->loc;
    t.kids.push_back(std::move(*c));
    return t;
  }
  return c;
}

}  // namespace advise::checker_detail
